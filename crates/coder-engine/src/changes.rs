//! `ViewChange`: what the engine tells views after each applied event.

use coder_domain::{ChatChange, ProjectId, RunId, ThreadId, ThreadSummary};
use serde::Serialize;

/// One change to what a person sees, in the order the events were applied.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ViewChange {
    /// A loaded thread's entry list changed.
    Chat { thread_id: ThreadId, sequence: u64, change: ChatChange },
    /// A thread's summary (sidebar row) changed.
    ThreadSummary { summary: ThreadSummary },
    /// A run's status, steps, cost or tool uses changed.
    Run { run_id: RunId, thread_id: ThreadId },
    /// A project's settings or files changed.
    Project { project_id: ProjectId },
}
