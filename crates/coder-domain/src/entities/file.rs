use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, ProjectId};
use crate::values::{ContentHash, FileChangeType};

/// A file of a project as the log knows it: its current content hash, or none once deleted.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct File {
    pub id: FileId,
    pub project_id: ProjectId,
    pub path: String,
    pub content: Option<ContentHash>,
    pub change_count: u64,
    pub updated_at: DateTime<Utc>,
}

impl File {
    /// True when `change` starts from the content this file has now.
    pub fn accepts(&self, change: &FileChangeType) -> bool {
        change.before() == self.content
    }

    pub(crate) fn record(&mut self, change: &FileChangeType, at: DateTime<Utc>) {
        self.content = change.after();
        self.change_count += 1;
        self.updated_at = at;
    }
}
