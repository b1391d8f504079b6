use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::ProjectId;
use crate::values::{PermissionRule, ProjectChanges, ToolApproval};

/// A folder on disk that threads and runs work on.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Project {
    pub id: ProjectId,
    pub name: String,
    /// Absolute path of the project root.
    pub path: String,
    /// Tools this project allows without asking, or asks for explicitly.
    pub tool_approvals: BTreeMap<String, ToolApproval>,
    /// The project's permission rules, in the order they were given. Absent from snapshots
    /// and views written before rules existed, and empty then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PermissionRule>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Project {
    /// Merges a change set into the project.
    pub fn apply_changes(&mut self, changes: &ProjectChanges, at: DateTime<Utc>) {
        if let Some(name) = &changes.name {
            name.clone_into(&mut self.name);
        }
        if let Some(path) = &changes.path {
            path.clone_into(&mut self.path);
        }
        for (tool, approval) in &changes.tool_approvals {
            self.tool_approvals.insert(tool.clone(), *approval);
        }
        if let Some(rules) = &changes.rules {
            rules.clone_into(&mut self.rules);
        }
        self.updated_at = at;
    }

    /// The project's explicit policy for a tool, if it has one.
    pub fn tool_approval(&self, tool: &str) -> Option<ToolApproval> {
        self.tool_approvals.get(tool).copied()
    }
}
