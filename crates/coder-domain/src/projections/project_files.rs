//! `ProjectFiles`: the file changes of one project, and of each of its runs, newest first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Projection;
use crate::envelope::EventEnvelope;
use crate::events::DomainEvent;
use crate::ids::{FileId, ProjectId, RunId};
use crate::values::FileChangeType;

/// One recorded change, with the envelope fields that identify it (to diff or revert it).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileChangeRecord {
    pub sequence: u64,
    pub event_id: Uuid,
    pub file_id: FileId,
    pub path: String,
    pub change_type: FileChangeType,
    pub run_id: Option<RunId>,
    pub timestamp: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(from = "ProjectFilesData")]
pub struct ProjectFiles {
    pub project_id: ProjectId,
    /// Oldest first, as recorded; read through `newest_first`.
    changes: Vec<FileChangeRecord>,
    #[serde(skip)]
    by_run: HashMap<RunId, Vec<usize>>,
}

#[derive(Deserialize)]
struct ProjectFilesData {
    project_id: ProjectId,
    changes: Vec<FileChangeRecord>,
}

impl From<ProjectFilesData> for ProjectFiles {
    fn from(d: ProjectFilesData) -> Self {
        let mut by_run: HashMap<RunId, Vec<usize>> = HashMap::new();
        for (i, c) in d.changes.iter().enumerate() {
            if let Some(run) = c.run_id {
                by_run.entry(run).or_default().push(i);
            }
        }
        Self { project_id: d.project_id, changes: d.changes, by_run }
    }
}

impl ProjectFiles {
    pub fn new(project_id: ProjectId) -> Self {
        Self { project_id, changes: Vec::new(), by_run: HashMap::new() }
    }

    /// Every change of the project, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &FileChangeRecord> {
        self.changes.iter().rev()
    }

    /// The changes made while `run` executed, newest first.
    pub fn of_run(&self, run: RunId) -> impl Iterator<Item = &FileChangeRecord> {
        self.by_run.get(&run).into_iter().flat_map(|ix| ix.iter().rev().map(|&i| &self.changes[i]))
    }

    /// The change recorded at `sequence`.
    pub fn at_sequence(&self, sequence: u64) -> Option<&FileChangeRecord> {
        let i = self.changes.binary_search_by_key(&sequence, |c| c.sequence).ok()?;
        Some(&self.changes[i])
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl Projection for ProjectFiles {
    const NAME: &'static str = "project_files";
    const VERSION: u32 = 1;

    fn apply_envelope(&mut self, envelope: &EventEnvelope) {
        let DomainEvent::FileChanged { project_id, file_id, path, change_type, timestamp, run_id } =
            &envelope.event
        else {
            return;
        };
        if *project_id != self.project_id {
            return;
        }
        // Replaying a stored event a second time must not record it twice.
        if self.changes.last().is_some_and(|c| c.sequence >= envelope.sequence) {
            return;
        }
        let index = self.changes.len();
        self.changes.push(FileChangeRecord {
            sequence: envelope.sequence,
            event_id: envelope.event_id,
            file_id: *file_id,
            path: path.clone(),
            change_type: *change_type,
            run_id: *run_id,
            timestamp: *timestamp,
        });
        if let Some(run) = run_id {
            self.by_run.entry(*run).or_default().push(index);
        }
    }
}
