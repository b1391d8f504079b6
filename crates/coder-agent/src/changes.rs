//! File changes: recording what tools wrote, showing a change as a diff, and reverting a change
//! or a whole run — a revert is a new change; history is never rewritten.

use std::collections::BTreeMap;
use std::path::Path;

use coder_domain::{Command, ContentHash, EventEnvelope, FileChangeRecord, FileChangeType, ProjectId, RunId};
use coder_engine::{DispatchContext, DispatchError, Engine};

use crate::tools::FileWrite;

/// Metadata key naming the event a revert undoes.
pub const META_REVERTS: &str = "reverts";

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeError {
    #[error("no file change at event {0}")]
    NotFound(u64),
    #[error("{path} changed since this change was made; revert it anyway with --force")]
    ChangedSince { path: String },
    #[error("the content of {0} is missing from the store")]
    MissingContent(String),
    #[error("cannot write {path}: {reason}")]
    Io { path: String, reason: String },
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error("{0}")]
    Query(String),
}

impl ChangeError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound(_) => "not_found",
            Self::ChangedSince { .. } => "file_changed_since",
            Self::MissingContent(_) => "content_missing",
            Self::Io { .. } => "file_io",
            Self::Dispatch(e) => e.code(),
            Self::Query(_) => "query_failed",
        }
    }
}

/// The change a write makes, given what the log knows of the file.
pub fn change_type(before: Option<&[u8]>, after: Option<&[u8]>) -> Option<FileChangeType> {
    match (before.map(ContentHash::of), after.map(ContentHash::of)) {
        (None, Some(after)) => Some(FileChangeType::Created { after }),
        (Some(before), Some(after)) if before != after => Some(FileChangeType::Modified { before, after }),
        (Some(before), None) => Some(FileChangeType::Deleted { before }),
        _ => None,
    }
}

/// Records files a tool (or a command) changed, with their contents, attributed to `run`.
pub async fn record(
    engine: &Engine,
    project: ProjectId,
    run: Option<RunId>,
    writes: &[FileWrite],
    ctx: &DispatchContext,
) -> Result<Vec<EventEnvelope>, DispatchError> {
    let mut stored = Vec::new();
    for write in writes {
        let Some(change_type) = change_type(write.before.as_deref(), write.after.as_deref()) else {
            continue;
        };
        // The log's view of the file must be where this change starts; if a change happened
        // unseen in between, record from what the log knows, so the chain stays unbroken.
        let known = engine.with_state(|s| s.file_at(project, &write.path).and_then(|f| f.content));
        let change_type = match (known, change_type.before(), change_type.after()) {
            (Some(k), Some(b), Some(a)) if k != b => FileChangeType::Modified { before: k, after: a },
            (Some(k), Some(b), None) if k != b => FileChangeType::Deleted { before: k },
            (Some(k), None, Some(a)) => FileChangeType::Modified { before: k, after: a },
            _ => change_type,
        };
        if change_type.before() == change_type.after() {
            continue;
        }
        let blobs = [write.before.clone(), write.after.clone()].into_iter().flatten().collect();
        let ctx = DispatchContext { blobs, ..ctx.clone() };
        let command = Command::RecordFileChange {
            project_id: project,
            path: write.path.clone(),
            change_type,
            run_id: run,
        };
        stored.extend(engine.dispatch_with(command, ctx).await?);
    }
    Ok(stored)
}

/// The content a hash names; the empty text for "no file".
fn content(engine: &Engine, hash: Option<ContentHash>, path: &str) -> Result<Vec<u8>, ChangeError> {
    match hash {
        None => Ok(Vec::new()),
        Some(h) => engine
            .store()
            .blob(h)
            .map_err(|e| ChangeError::Query(e.to_string()))?
            .ok_or_else(|| ChangeError::MissingContent(path.to_string())),
    }
}

/// A unified diff of one recorded change.
pub fn diff(engine: &Engine, change: &FileChangeRecord) -> Result<String, ChangeError> {
    let before = content(engine, change.change_type.before(), &change.path)?;
    let after = content(engine, change.change_type.after(), &change.path)?;
    let shown =
        |hash: Option<ContentHash>, bytes: &[u8]| hash.map(|_| String::from_utf8_lossy(bytes).into_owned());
    Ok(unified_diff(
        &change.path,
        shown(change.change_type.before(), &before).as_deref(),
        shown(change.change_type.after(), &after).as_deref(),
    ))
}

/// The unified diff (3 lines of context) of a file at `path` going from `before` to `after`;
/// `None` on a side means the file does not exist there (`/dev/null` in the header).
pub fn unified_diff(path: &str, before: Option<&str>, after: Option<&str>) -> String {
    let old = if before.is_some() { format!("a/{path}") } else { "/dev/null".into() };
    let new = if after.is_some() { format!("b/{path}") } else { "/dev/null".into() };
    similar::TextDiff::from_lines(before.unwrap_or(""), after.unwrap_or(""))
        .unified_diff()
        .context_radius(3)
        .header(&old, &new)
        .to_string()
}

/// The change recorded at `sequence` in `project`.
pub fn change_at(
    engine: &Engine,
    project: ProjectId,
    sequence: u64,
) -> Result<FileChangeRecord, ChangeError> {
    let files = engine.project_files(project).map_err(|e| ChangeError::Query(e.to_string()))?;
    files.at_sequence(sequence).cloned().ok_or(ChangeError::NotFound(sequence))
}

/// The changes of a run, newest first, with the project they belong to.
pub fn run_changes(engine: &Engine, run: RunId) -> Result<Vec<(ProjectId, FileChangeRecord)>, ChangeError> {
    let thread = engine
        .with_state(|s| s.runs.get(&run).map(|r| r.thread_id))
        .ok_or_else(|| ChangeError::Query(format!("no run {run}")))?;
    let Some(project) = engine.thread(thread).and_then(|t| t.project_id) else { return Ok(Vec::new()) };
    let files = engine.project_files(project).map_err(|e| ChangeError::Query(e.to_string()))?;
    Ok(files.of_run(run).cloned().map(|c| (project, c)).collect())
}

/// Reverts one change: puts the file back as it was before it. Refused if the file on disk is
/// no longer what the change left, unless `force`.
pub async fn revert(
    engine: &Engine,
    project: ProjectId,
    root: &Path,
    change: &FileChangeRecord,
    force: bool,
) -> Result<Vec<EventEnvelope>, ChangeError> {
    let path = root.join(&change.path);
    let on_disk = match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(ChangeError::Io { path: change.path.clone(), reason: e.to_string() }),
    };
    let disk_hash = on_disk.as_deref().map(ContentHash::of);
    if disk_hash != change.change_type.after() && !force {
        return Err(ChangeError::ChangedSince { path: change.path.clone() });
    }
    let target = match change.change_type.before() {
        Some(h) => Some(content(engine, Some(h), &change.path)?),
        None => None,
    };
    let io = |e: std::io::Error| ChangeError::Io { path: change.path.clone(), reason: e.to_string() };
    match &target {
        Some(bytes) => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            std::fs::write(&path, bytes).map_err(io)?;
        }
        None => {
            if on_disk.is_some() {
                std::fs::remove_file(&path).map_err(io)?;
            }
        }
    }
    let write = FileWrite { path: change.path.clone(), before: on_disk, after: target };
    let ctx = DispatchContext {
        metadata: BTreeMap::from([(META_REVERTS.to_string(), change.event_id.to_string())]),
        ..Default::default()
    };
    Ok(record(engine, project, None, &[write], &ctx).await?)
}

/// Reverts every change of a run, newest first. Stops at the first refusal.
pub async fn revert_run(engine: &Engine, run: RunId, root: &Path, force: bool) -> Result<usize, ChangeError> {
    let mut reverted = 0;
    for (project, change) in run_changes(engine, run)? {
        revert(engine, project, root, &change, force).await?;
        reverted += 1;
    }
    Ok(reverted)
}
