//! Start-up recovery: what the app was doing when it stopped is ended honestly, and nothing that
//! may have had an effect outside the log is done again (DESIGN §8).
//!
//! - A message left streaming is completed with the text stored so far, marked interrupted.
//! - In every open run, a tool use left `Running` — approved or pre-approved, so possibly under
//!   way when Coder stopped — fails as interrupted by a restart, with its step; an open model
//!   call fails likewise, and so does a tool-call step whose tool use was never recorded (Coder
//!   stopped between the two). Running it again takes a new tool use, with a new approval where the
//!   policy asks. The run itself stays open: a runner continues it, and the model learns what
//!   was interrupted from the failed results.
//! - A step that waits for approval keeps waiting: the person can still answer it.
//!
//! The same holds for a log brought in by import: it is recovered like any other at the next
//! open, so nothing that was under way elsewhere runs here because it arrived.

use std::collections::BTreeMap;

use coder_domain::{Command, MessageId, RunId, StepType, ThreadId, ToolStatus, META_INTERRUPTED};

use crate::engine::{DispatchContext, Engine};
use crate::error::DispatchError;

/// Metadata key of the reason a run or tool use ended.
pub const META_REASON: &str = "reason";

/// What a tool use or model call found under way at start fails with.
pub const INTERRUPTED_BY_RESTART: &str =
    "interrupted by a restart: Coder stopped while this was running, so it was not finished and is \
     not run again; its output so far is kept";

pub(crate) fn recover(engine: &Engine) -> Result<(), DispatchError> {
    let (streaming, runs) = engine.with_state(|state| {
        let mut streaming: Vec<(ThreadId, MessageId, String)> = state
            .messages
            .values()
            .filter(|m| m.streaming)
            .map(|m| (m.thread_id, m.id, m.content.clone()))
            .collect();
        streaming.sort_by_key(|(_, id, _)| *id);
        let mut runs: Vec<RunId> = state
            .runs
            .values()
            .filter(|r| !r.status.is_final())
            .filter(|r| {
                r.steps.iter().filter(|s| !s.status.is_final()).any(|s| match s.tool_use_id() {
                    None => s.step_type == StepType::ModelCall,
                    Some(id) => state.tool_uses.get(&id).is_none_or(|t| t.status == ToolStatus::Running),
                })
            })
            .map(|r| r.id)
            .collect();
        runs.sort();
        (streaming, runs)
    });
    for (thread_id, message_id, text) in streaming {
        tracing::info!(%message_id, "completing a message interrupted mid-stream");
        let ctx = DispatchContext {
            metadata: BTreeMap::from([(META_INTERRUPTED.to_string(), "true".to_string())]),
            ..Default::default()
        };
        engine.dispatch_with_blocking(
            Command::CompleteMessage { thread_id, message_id, final_content: text },
            ctx,
        )?;
    }
    for run_id in runs {
        tracing::info!(%run_id, "failing what a run had under way when Coder stopped");
        let ctx = DispatchContext {
            correlation_id: engine.run_correlation(run_id),
            metadata: BTreeMap::from([(META_REASON.to_string(), "interrupted".to_string())]),
            ..Default::default()
        };
        engine.dispatch_with_blocking(
            Command::InterruptRun { run_id, reason: INTERRUPTED_BY_RESTART.to_string() },
            ctx,
        )?;
    }
    Ok(())
}

/// What an imported run that was still open ends with.
pub const IMPORTED_RUN: &str =
    "imported from another log: a run that was under way elsewhere is not carried on here";

/// Fails every open run of a store that was just filled by an import, so that nothing runs
/// because a log arrived: not a tool that was approved elsewhere, not a model call, not a step
/// that waited for someone else's approval. Returns how many runs it ended.
pub fn end_imported_runs(engine: &Engine) -> Result<usize, DispatchError> {
    let mut open: Vec<RunId> =
        engine.with_state(|s| s.runs.values().filter(|r| !r.status.is_final()).map(|r| r.id).collect());
    open.sort();
    for &run_id in &open {
        let ctx = DispatchContext {
            correlation_id: engine.run_correlation(run_id),
            metadata: BTreeMap::from([(META_REASON.to_string(), "imported".to_string())]),
            ..Default::default()
        };
        engine.dispatch_with_blocking(Command::FailRun { run_id, reason: IMPORTED_RUN.to_string() }, ctx)?;
    }
    Ok(open.len())
}
