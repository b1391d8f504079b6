//! The project watcher: records changes made outside Coder's tools — by the person's editor, or
//! by a command the agent ran — as file changes, attributed to the project's running run if
//! there is one.
//!
//! It keeps the project's files (as `tree::read` sees them: gitignore rules applied, hidden
//! files skipped) in memory as the baseline, so every change it records has the exact content
//! before and after. Events for hidden or ignored paths (`.git`, `target/`, …) are dropped at
//! once. Each remaining path is recorded once it has been quiet for `QUIET`, so a file written
//! continuously does not hold up the others; only that path is read again, off the async
//! threads. A change the log already knows (a tool's write, a revert) is skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use coder_domain::{ContentHash, ProjectId, RunId, RunStatus};
use coder_engine::{DispatchContext, Engine};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::changes;
use crate::tools::FileWrite;
use crate::tree::{self, IgnoreRules, Tree};

/// How long a path must be quiet before its change is recorded.
pub const QUIET: Duration = Duration::from_millis(400);

/// Watches one project folder while it lives.
pub struct ProjectWatcher {
    _watcher: notify::RecommendedWatcher,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for ProjectWatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectWatcher").finish_non_exhaustive()
    }
}

impl Drop for ProjectWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ProjectWatcher {
    /// Starts watching `root` (canonical) for `project`. Reads the baseline before it returns, so
    /// every change made after is seen. Must be called inside a Tokio runtime.
    pub fn start(engine: Engine, project: ProjectId, root: PathBuf) -> Result<Self, notify::Error> {
        let baseline = tree::read(&root);
        let (tx, rx) = mpsc::unbounded_channel::<PathBuf>();
        let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if let Ok(event) = event {
                for path in event.paths {
                    let _closed = tx.send(path);
                }
            }
        })?;
        watcher.watch(&root, RecursiveMode::Recursive)?;
        let task = tokio::spawn(follow(engine, project, root, baseline, rx));
        Ok(Self { _watcher: watcher, task })
    }
}

async fn follow(
    engine: Engine,
    project: ProjectId,
    root: PathBuf,
    mut baseline: Tree,
    mut events: mpsc::UnboundedReceiver<PathBuf>,
) {
    let mut rules = IgnoreRules::load(&root);
    // Relative path → when it last changed.
    let mut pending: HashMap<String, Instant> = HashMap::new();
    loop {
        let next = match pending.values().min().map(|last| *last + QUIET) {
            None => events.recv().await,
            Some(deadline) => match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(next) => next,
                Err(_quiet) => {
                    let now = Instant::now();
                    let due: Vec<String> = pending
                        .iter()
                        .filter(|(_, last)| **last + QUIET <= now)
                        .map(|(p, _)| p.clone())
                        .collect();
                    pending.retain(|_, last| *last + QUIET > now);
                    baseline = settle(&engine, project, &root, baseline, due).await;
                    continue;
                }
            },
        };
        let Some(path) = next else { return };
        let Some(relative) = relative_to(&root, &path) else { continue };
        if relative == ".gitignore" {
            rules = IgnoreRules::load(&root);
        }
        if !rules.ignores(&relative) {
            pending.insert(relative, Instant::now());
        }
    }
}

fn relative_to(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?.to_str()?;
    (!relative.is_empty()).then(|| relative.replace(std::path::MAIN_SEPARATOR, "/"))
}

/// Reads `paths` again, records what changed since the baseline, and returns the new baseline.
async fn settle(
    engine: &Engine,
    project: ProjectId,
    root: &Path,
    baseline: Tree,
    paths: Vec<String>,
) -> Tree {
    let reading_root = root.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        let mut baseline = baseline;
        let mut writes: Vec<FileWrite> = Vec::new();
        for path in paths {
            let now = tree::read_at(&reading_root, &path);
            writes.extend(tree::diff(&baseline.under(&path), &now));
            baseline.replace_under(&path, now);
        }
        (baseline, writes)
    })
    .await;
    let (mut baseline, writes) = match read {
        Ok(read) => read,
        Err(e) => {
            tracing::warn!(error = %e, "re-reading changed files failed; starting from a fresh baseline");
            return tree::read(root);
        }
    };
    // Skip what the log already knows: a tool's own write, a revert.
    let writes: Vec<FileWrite> = writes
        .into_iter()
        .filter(|w| {
            let known = engine.with_state(|s| s.file_at(project, &w.path).map(|f| f.content));
            known != Some(w.after.as_deref().map(ContentHash::of))
        })
        .collect();
    if writes.is_empty() {
        return baseline;
    }
    let run = running_run(engine, project);
    if let Err(e) = changes::record(engine, project, run, &writes, &DispatchContext::default()).await {
        tracing::warn!(error = %e, "a file change seen by the watcher was not recorded; it is retried with the next change");
        // Put the baseline back, so the next look at these files sees the change again.
        for write in writes {
            match write.before {
                Some(bytes) => baseline.files.insert(write.path, bytes),
                None => baseline.files.remove(&write.path),
            };
        }
    }
    baseline
}

/// The project's run that is executing now, if any.
fn running_run(engine: &Engine, project: ProjectId) -> Option<RunId> {
    engine.with_state(|s| {
        s.runs
            .values()
            .filter(|r| r.status == RunStatus::Running)
            .filter(|r| s.threads.get(&r.thread_id).and_then(|t| t.project_id) == Some(project))
            .max_by_key(|r| r.started_at)
            .map(|r| r.id)
    })
}
