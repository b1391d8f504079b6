//! The project watcher: records changes made outside Coder's tools — by the person's editor, or
//! by a command the agent ran — as file changes, attributed to the project's running run if
//! there is one.
//!
//! It keeps the project's files (as `tree::read` sees them: gitignore rules applied, hidden
//! files skipped) in memory as the baseline, so every change it records has the exact content
//! before and after. File-system events are debounced: a change is recorded once the file has
//! been quiet for `QUIET`. A change the log already knows (a tool's write, a revert) is skipped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coder_domain::{ContentHash, ProjectId, RunId, RunStatus};
use coder_engine::{DispatchContext, Engine};
use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::changes;
use crate::tools::FileWrite;
use crate::tree::{self, Tree};

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
    /// Starts watching `root` (canonical) for `project`. Must be called inside a Tokio runtime.
    pub fn start(engine: Engine, project: ProjectId, root: PathBuf) -> Result<Self, notify::Error> {
        let baseline = Arc::new(Mutex::new(tree::read(&root)));
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
    baseline: Arc<Mutex<Tree>>,
    mut events: mpsc::UnboundedReceiver<PathBuf>,
) {
    let mut dirty: HashSet<PathBuf> = HashSet::new();
    loop {
        let next = if dirty.is_empty() {
            events.recv().await
        } else {
            match tokio::time::timeout(QUIET, events.recv()).await {
                Ok(next) => next,
                Err(_quiet) => {
                    let paths: Vec<PathBuf> = dirty.drain().collect();
                    settle(&engine, project, &root, &baseline, paths).await;
                    continue;
                }
            }
        };
        match next {
            Some(path) => {
                dirty.insert(path);
            }
            None => return,
        }
    }
}

/// Records what changed at `paths` since the baseline.
async fn settle(
    engine: &Engine,
    project: ProjectId,
    root: &Path,
    baseline: &Mutex<Tree>,
    paths: Vec<PathBuf>,
) {
    // Re-reading the tree applies the ignore rules exactly as the baseline did, and catches
    // whole directories created, moved or removed at once.
    let touched: Vec<String> = paths
        .iter()
        .filter_map(|p| p.strip_prefix(root).ok())
        .filter_map(|p| p.to_str())
        .map(|p| p.replace(std::path::MAIN_SEPARATOR, "/"))
        .collect();
    if touched.is_empty() {
        return;
    }
    let now = tree::read(root);
    let writes: Vec<FileWrite> = {
        let mut base = baseline.lock().unwrap_or_else(|e| e.into_inner());
        let changed: Vec<FileWrite> = tree::diff(&base, &now)
            .into_iter()
            .filter(|w| touched.iter().any(|t| w.path == *t || w.path.starts_with(&format!("{t}/"))))
            .collect();
        for write in &changed {
            match &write.after {
                Some(bytes) => base.files.insert(write.path.clone(), bytes.clone()),
                None => base.files.remove(&write.path),
            };
        }
        changed
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
        return;
    }
    let run = running_run(engine, project);
    if let Err(e) = changes::record(engine, project, run, &writes, &DispatchContext::default()).await {
        tracing::warn!(error = %e, "a file change seen by the watcher was not recorded; it is retried with the next change");
        // Put the baseline back, so the next look at these files sees the change again.
        let mut base = baseline.lock().unwrap_or_else(|e| e.into_inner());
        for write in writes {
            match write.before {
                Some(bytes) => base.files.insert(write.path, bytes),
                None => base.files.remove(&write.path),
            };
        }
    }
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
