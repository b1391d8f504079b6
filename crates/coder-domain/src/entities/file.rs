use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{FileId, ProjectId};
use crate::values::{ContentHash, FileChangeType};

/// A file of a project as the log knows it: its current content hash, or none once deleted.
///
/// "Never seen" and "seen deleted" differ: a path the log never saw has no `File` at all, and a
/// change to it may start from any content (the file predates the project's history); a file
/// seen deleted has `content: None`, and a change to it must start from no file. A file that came
/// back without the log seeing it is recorded as created first (its content as it came back),
/// and only then changed — so every change's before-state is what was really there.
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
    /// True when `change` starts from the content this file has now: a `Created` for a file seen
    /// deleted, a change from exactly its content otherwise.
    pub fn accepts(&self, change: &FileChangeType) -> bool {
        change.before() == self.content
    }

    /// True when the log last saw this file deleted (as opposed to never having seen it).
    pub fn is_deleted(&self) -> bool {
        self.content.is_none()
    }

    pub(crate) fn record(&mut self, change: &FileChangeType, at: DateTime<Utc>) {
        self.content = change.after();
        self.change_count += 1;
        self.updated_at = at;
    }
}
