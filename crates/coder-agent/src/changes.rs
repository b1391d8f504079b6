//! File changes: recording what tools wrote, showing a change as a diff, and reverting a change
//! or a whole run — a revert is a new change; history is never rewritten.
//!
//! Invariants:
//! - Every change recorded here starts from the content the log last knew for its path, so the
//!   domain never refuses it as stale. When the disk moved on unseen (an editor, a shell, a file
//!   restored by hand), that move is recorded first as an observed change of no run, and the
//!   write's own change starts from what was really on disk — reverting it puts back exactly
//!   what it overwrote.
//! - A revert touches only regular files inside the project root, whatever path the log holds
//!   (an imported log may hold any): no `..`, no absolute path, no symlink leading out.
//! - Showing a change never blocks on a file (FIFOs and devices are refused by type before they
//!   are opened), reads at most `DIFF_BYTES` per side, and diffs within `DIFF_DEADLINE`.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coder_domain::{
    Command, ContentHash, DomainError, EventEnvelope, FileChangeRecord, FileChangeType, ProjectId, RunId,
};
use coder_engine::{DispatchContext, DispatchError, Engine};

use crate::tools::{paths, FileWrite, ToolError};

/// Metadata key naming the event a revert undoes.
pub const META_REVERTS: &str = "reverts";
/// Metadata key on a change Coder found on disk instead of making it; the value says when it
/// was noticed (`before_write`, `before_record`).
pub const META_OBSERVED: &str = "observed";

/// Largest side, in bytes, that is diffed; a larger file is summarized by its sizes. Previews
/// read at most this many bytes (plus one, to tell "at the limit" from "over it").
pub const DIFF_BYTES: usize = 2 * 1024 * 1024;
/// Most lines per side that are diffed; more are summarized by their line counts. A diff that
/// long is unreadable, and the view renders every line.
pub const DIFF_LINES: usize = 20_000;
/// How long the line diff searches for the smallest diff. Past it the diff is coarser (larger
/// hunks) but still correct: every removed and added line is shown.
pub const DIFF_DEADLINE: Duration = Duration::from_millis(500);
/// Largest file `check_before_write` reads to compare with the log: the most the log stores of
/// one content. A larger one is left to `record`, which bridges the same gap after the write.
const CHECK_BYTES: u64 = coder_domain::limits::BLOB_BYTES as u64;

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
    /// The change names a path outside the project root (`..`, an absolute path, a symlink that
    /// leads out) — possible only in a log imported from elsewhere. Nothing is touched.
    #[error("{path} is outside the project; Coder does not touch it")]
    OutsideProject { path: String },
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
            Self::OutsideProject { .. } => "outside_project",
            Self::Dispatch(e) => e.code(),
            Self::Query(_) => "query_failed",
        }
    }
}

/// The change a write makes, given what the log knows of the file.
pub fn change_type(before: Option<&[u8]>, after: Option<&[u8]>) -> Option<FileChangeType> {
    change_between(before.map(ContentHash::of), after.map(ContentHash::of))
}

/// The change from one state of a file to another (`None`: no file); `None` when equal.
fn change_between(before: Option<ContentHash>, after: Option<ContentHash>) -> Option<FileChangeType> {
    match (before, after) {
        (None, Some(after)) => Some(FileChangeType::Created { after }),
        (Some(before), Some(after)) if before != after => Some(FileChangeType::Modified { before, after }),
        (Some(before), None) => Some(FileChangeType::Deleted { before }),
        _ => None,
    }
}

/// What the log last recorded for `path`: `None` when it never saw the path (any change is
/// accepted then: the file predates the project's history); `Some(None)` when it saw the file
/// deleted; `Some(Some(hash))` for its content.
fn known(engine: &Engine, project: ProjectId, path: &str) -> Option<Option<ContentHash>> {
    engine.with_state(|s| s.file_at(project, path).map(|f| f.content))
}

/// Records files a tool (or a command) changed, with their contents, attributed to `run`.
///
/// When the log's last knowledge of a file is not where the write started (the file changed
/// unseen — including a file the log saw deleted and that came back), the unseen change is
/// recorded first, of no run and marked `META_OBSERVED`, so the chain is unbroken and the
/// write's change has its true before-state.
pub async fn record(
    engine: &Engine,
    project: ProjectId,
    run: Option<RunId>,
    writes: &[FileWrite],
    ctx: &DispatchContext,
) -> Result<Vec<EventEnvelope>, DispatchError> {
    let mut stored = Vec::new();
    for write in writes {
        if let Err(reason) = crate::tree::recordable(Path::new(&write.path)) {
            tracing::warn!(path = %write.path, reason, "a file change is not recorded");
            continue;
        }
        let before = write.before.as_deref().map(ContentHash::of);
        let after = write.after.as_deref().map(ContentHash::of);
        let Some(change_type) = change_between(before, after) else {
            continue;
        };
        let known = known(engine, project, &write.path);
        if known == Some(after) {
            // Recorded already: the watcher saw this very change while the command ran.
            continue;
        }
        if let Some(known) = known {
            if let Some(unseen) = change_between(known, before) {
                let blobs = write.before.clone().into_iter().collect();
                stored.extend(
                    dispatch_observed(engine, project, &write.path, unseen, blobs, ctx, "before_record")
                        .await?,
                );
            }
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

/// Records a change found on disk rather than made by a tool: of no run, marked observed. It
/// joins the caller's correlation (when it was noticed) but none of its metadata: it is not, say,
/// the revert that noticed it.
async fn dispatch_observed(
    engine: &Engine,
    project: ProjectId,
    path: &str,
    change_type: FileChangeType,
    blobs: Vec<Vec<u8>>,
    ctx: &DispatchContext,
    noticed: &str,
) -> Result<Vec<EventEnvelope>, DispatchError> {
    let metadata = BTreeMap::from([(META_OBSERVED.to_string(), noticed.to_string())]);
    let ctx = DispatchContext { blobs, metadata, ..ctx.clone() };
    let command =
        Command::RecordFileChange { project_id: project, path: path.to_owned(), change_type, run_id: None };
    engine.dispatch_with(command, ctx).await
}

/// Makes the log agree with the disk about `path` before a write tool changes it, so the
/// write's change is never refused after the file was already written.
///
/// Call it just before running `write_file` or `edit_file`, with the `path` the model gave.
/// When the file on disk differs from what the log last recorded (edited, deleted or restored
/// outside Coder, and the watcher has not recorded it yet), that difference is recorded now as
/// an observed change of no run: the person's own edit stays theirs, the tool's change shows
/// only what the tool did, and reverting the tool's change gives back the person's version.
///
/// A path the tool will refuse (outside the project, not a regular file) is left alone, so the
/// tool's own error reaches the model; so is a file the log never saw (any change of it is
/// accepted) and one over `CHECK_BYTES`. Errors: the observed change could not be stored.
pub async fn check_before_write(
    engine: &Engine,
    project: ProjectId,
    root: &Path,
    path: &str,
) -> Result<(), ChangeError> {
    let Ok(real) = paths::resolve_for_write(root, path) else { return Ok(()) };
    let name = paths::relative(root, &real);
    // The watcher may record the same change meanwhile; then the log agrees on the next look.
    for _ in 0..3 {
        let Some(known) = known(engine, project, &name) else { return Ok(()) };
        let reading = real.clone();
        let on_disk = tokio::task::spawn_blocking(move || read_regular(&reading, CHECK_BYTES))
            .await
            .map_err(|e| ChangeError::Query(format!("reading {name} failed: {e}")))?;
        let bytes = match on_disk {
            Ok(OnDisk::Absent) => None,
            Ok(OnDisk::Bytes(bytes)) => Some(bytes),
            Ok(OnDisk::TooLarge(_) | OnDisk::NotAFile(_)) | Err(_) => return Ok(()),
        };
        let Some(unseen) = change_between(known, bytes.as_deref().map(ContentHash::of)) else {
            return Ok(());
        };
        let blobs = bytes.into_iter().collect();
        match dispatch_observed(
            engine,
            project,
            &name,
            unseen,
            blobs,
            &DispatchContext::default(),
            "before_write",
        )
        .await
        {
            Ok(_) => return Ok(()),
            Err(DispatchError::Domain(DomainError::StaleFileChange { .. })) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
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

/// A unified diff of one recorded change (or a summary when it cannot be shown as one; see
/// `render_diff`). Reads the store: call it off the UI thread.
pub fn diff(engine: &Engine, change: &FileChangeRecord) -> Result<String, ChangeError> {
    let before = change.change_type.before().map(|h| content(engine, Some(h), &change.path)).transpose()?;
    let after = change.change_type.after().map(|h| content(engine, Some(h), &change.path)).transpose()?;
    Ok(render_diff(&change.path, Side::of(before.as_deref()), Side::of(after.as_deref())))
}

/// One side of a change, as far as showing it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side<'a> {
    /// No file on this side (`/dev/null` in the header).
    Absent,
    /// The file's whole content.
    Bytes(&'a [u8]),
    /// A file too large to read for a diff: its size in bytes.
    TooLarge(u64),
}

impl<'a> Side<'a> {
    /// `Bytes`, or `Absent` for no file.
    pub fn of(bytes: Option<&'a [u8]>) -> Self {
        bytes.map_or(Side::Absent, Side::Bytes)
    }

    /// The side as text; `None` when it is not UTF-8 or holds a NUL byte (binary).
    fn text(&self) -> Option<&'a str> {
        match *self {
            Side::Bytes(b) if b.contains(&0) => None,
            Side::Bytes(b) => std::str::from_utf8(b).ok(),
            Side::Absent | Side::TooLarge(_) => Some(""),
        }
    }

    fn exists(&self) -> bool {
        !matches!(self, Side::Absent)
    }

    fn len(&self) -> u64 {
        match self {
            Side::Absent => 0,
            Side::Bytes(b) => b.len() as u64,
            Side::TooLarge(n) => *n,
        }
    }
}

/// What a person is shown for `path` going from `before` to `after`: a unified diff with 3
/// lines of context, or one line in its place when a diff would mislead or cost too much —
/// `binary, N → M bytes` when either side is not UTF-8 text (or holds a NUL byte), `too large
/// to show (N → M bytes)` over `DIFF_BYTES`, `diff too large to show (N → M lines)` over
/// `DIFF_LINES`. The header says `/dev/null` only for a side where the file does not exist, so
/// a file that exists is never shown as new. Takes at most about `DIFF_DEADLINE` to diff.
pub fn render_diff(path: &str, before: Side<'_>, after: Side<'_>) -> String {
    render_diff_by(path, before, after, Instant::now() + DIFF_DEADLINE)
}

fn render_diff_by(path: &str, before: Side<'_>, after: Side<'_>, deadline: Instant) -> String {
    let old = if before.exists() { format!("a/{path}") } else { "/dev/null".into() };
    let new = if after.exists() { format!("b/{path}") } else { "/dev/null".into() };
    let summary = |line: String| format!("--- {old}\n+++ {new}\n{line}\n");
    let (n, m) = (before.len(), after.len());
    let too_large = |s: &Side<'_>| match s {
        Side::TooLarge(_) => true,
        Side::Bytes(b) => b.len() > DIFF_BYTES,
        Side::Absent => false,
    };
    if too_large(&before) || too_large(&after) {
        return summary(format!("too large to show ({n} → {m} bytes)"));
    }
    let (Some(old_text), Some(new_text)) = (before.text(), after.text()) else {
        return summary(format!("binary, {n} → {m} bytes"));
    };
    let (old_lines, new_lines) = (old_text.lines().count(), new_text.lines().count());
    if old_lines > DIFF_LINES || new_lines > DIFF_LINES {
        return summary(format!("diff too large to show ({old_lines} → {new_lines} lines)"));
    }
    similar::TextDiff::configure()
        .deadline(deadline)
        .diff_lines(old_text, new_text)
        .unified_diff()
        .context_radius(3)
        .header(&old, &new)
        .to_string()
}

/// A file as read for a diff or a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OnDisk {
    /// Nothing at the path.
    Absent,
    Bytes(Vec<u8>),
    /// A regular file over the limit: its size.
    TooLarge(u64),
    /// Something other than a regular file (a directory, a FIFO, a socket, a device, a symlink):
    /// what it is, in words. Never opened: opening a FIFO blocks until a writer comes.
    NotAFile(&'static str),
}

/// Reads the regular file at `path` (not following a symlink there), at most `limit` bytes.
///
/// The type is checked before opening, and the opened file is checked again to be that same
/// regular file, so a swap between the two is caught; a swap to a FIFO in that instant could
/// still block the open — the agent is not guarding against a hostile local process.
pub(crate) fn read_regular(path: &Path, limit: u64) -> std::io::Result<OnDisk> {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    let meta = match path.symlink_metadata() {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(OnDisk::Absent),
        Err(e) => return Err(e),
    };
    let kind = meta.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() {
            "a directory"
        } else if kind.is_fifo() {
            "a named pipe"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_block_device() || kind.is_char_device() {
            "a device"
        } else if kind.is_symlink() {
            "a symbolic link"
        } else {
            "not a regular file"
        };
        return Ok(OnDisk::NotAFile(what));
    }
    if meta.len() > limit {
        return Ok(OnDisk::TooLarge(meta.len()));
    }
    let file = std::fs::File::open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() || opened.ino() != meta.ino() || opened.dev() != meta.dev() {
        return Ok(OnDisk::NotAFile("replaced while it was read"));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Ok(OnDisk::TooLarge(opened.len().max(bytes.len() as u64)));
    }
    Ok(OnDisk::Bytes(bytes))
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

/// Where a recorded change's path is on disk, confined like the tools' paths: refused when it
/// is absolute, has a `..` part or leads out of `root` through a symlink. `root` is
/// canonicalized here, so a caller may pass the project path as stored.
fn confined(root: &Path, path: &str) -> Result<PathBuf, ChangeError> {
    let io = |e: std::io::Error| ChangeError::Io { path: path.to_owned(), reason: e.to_string() };
    let root = root.canonicalize().map_err(io)?;
    match paths::resolve_for_write(&root, path) {
        Ok(real) => Ok(real),
        Err(ToolError::OutsideProject(_)) => Err(ChangeError::OutsideProject { path: path.to_owned() }),
        Err(e) => Err(ChangeError::Io { path: path.to_owned(), reason: e.to_string() }),
    }
}

/// Reverts one change: puts the file back as it was before it. Refused if the file on disk is
/// no longer what the change left, unless `force`; refused always, touching nothing, when the
/// path is outside the project or is not a regular file.
pub async fn revert(
    engine: &Engine,
    project: ProjectId,
    root: &Path,
    change: &FileChangeRecord,
    force: bool,
) -> Result<Vec<EventEnvelope>, ChangeError> {
    let io = |e: std::io::Error| ChangeError::Io { path: change.path.clone(), reason: e.to_string() };
    let path = confined(root, &change.path)?;
    let reading = path.clone();
    let on_disk = tokio::task::spawn_blocking(move || read_regular(&reading, CHECK_BYTES))
        .await
        .map_err(|e| ChangeError::Query(e.to_string()))?
        .map_err(io)?;
    let on_disk = match on_disk {
        OnDisk::Absent => None,
        OnDisk::Bytes(bytes) => Some(bytes),
        // Larger than any content the log stores: not what the change left, and not something
        // a revert could record replacing.
        OnDisk::TooLarge(size) if force => {
            let reason = format!("it is now {size} bytes, more than Coder records of one file");
            return Err(ChangeError::Io { path: change.path.clone(), reason });
        }
        OnDisk::TooLarge(_) => return Err(ChangeError::ChangedSince { path: change.path.clone() }),
        OnDisk::NotAFile(what) => {
            return Err(ChangeError::Io { path: change.path.clone(), reason: format!("it is {what}") });
        }
    };
    let disk_hash = on_disk.as_deref().map(ContentHash::of);
    if disk_hash != change.change_type.after() && !force {
        return Err(ChangeError::ChangedSince { path: change.path.clone() });
    }
    let target = match change.change_type.before() {
        Some(h) => Some(content(engine, Some(h), &change.path)?),
        None => None,
    };
    let writing = (path.clone(), target.clone(), on_disk.is_some());
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let (path, target, exists) = writing;
        match target {
            Some(bytes) => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&path, bytes)
            }
            None if exists => std::fs::remove_file(&path),
            None => Ok(()),
        }
    })
    .await
    .map_err(|e| ChangeError::Query(e.to_string()))?
    .map_err(io)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_diff_past_its_deadline_is_coarse_but_complete() {
        let old: String = (0..300).map(|i| format!("old {i}\n")).collect();
        let new: String = (0..300).map(|i| format!("new {i}\n")).collect();
        let shown =
            render_diff_by("a.txt", Side::Bytes(old.as_bytes()), Side::Bytes(new.as_bytes()), Instant::now());
        for i in 0..300 {
            assert!(
                shown.contains(&format!("-old {i}\n")),
                "every removed line is shown, even past the deadline"
            );
            assert!(
                shown.contains(&format!("+new {i}\n")),
                "every added line is shown, even past the deadline"
            );
        }
    }

    #[test]
    fn a_binary_side_is_summarized_by_size_and_never_as_a_new_file() {
        let shown = render_diff("logo.png", Side::Bytes(&[0x89, b'P', 0, 0xff]), Side::Bytes(b"text"));
        assert!(shown.contains("binary, 4 → 4 bytes"), "{shown}");
        assert!(shown.starts_with("--- a/logo.png"), "an existing file has an old side: {shown}");
        let invalid_utf8 = render_diff("x", Side::Bytes(b"ok"), Side::Bytes(&[0xc3, 0x28]));
        assert!(invalid_utf8.contains("binary, 2 → 2 bytes"), "{invalid_utf8}");
    }

    #[test]
    fn sides_over_the_limits_are_summarized() {
        let shown = render_diff("big", Side::TooLarge(5_000_000), Side::Absent);
        assert!(shown.contains("too large to show (5000000 → 0 bytes)"), "{shown}");
        assert!(shown.contains("+++ /dev/null"), "{shown}");
    }

    #[test]
    fn a_fifo_is_reported_without_being_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success(), "mkfifo makes the named pipe");
        assert_eq!(read_regular(&fifo, 10).unwrap(), OnDisk::NotAFile("a named pipe"));
    }

    #[test]
    fn a_file_over_the_limit_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f"), "0123456789").unwrap();
        assert_eq!(read_regular(&dir.path().join("f"), 9).unwrap(), OnDisk::TooLarge(10));
        assert_eq!(read_regular(&dir.path().join("f"), 10).unwrap(), OnDisk::Bytes(b"0123456789".to_vec()));
        assert_eq!(read_regular(&dir.path().join("missing"), 10).unwrap(), OnDisk::Absent);
    }
}
