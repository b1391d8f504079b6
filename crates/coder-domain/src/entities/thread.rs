use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{ProjectId, ThreadId};

/// A conversation thread, optionally about a project.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Thread {
    pub id: ThreadId,
    pub project_id: Option<ProjectId>,
    pub title: String,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Messages from the agent or the system since the person last read the thread.
    #[serde(default)]
    pub unread: u32,
}
