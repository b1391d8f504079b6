//! Start-up recovery: what the app was doing when it stopped is ended honestly, and nothing that
//! may have had an effect outside the log is done again (DESIGN §8).
//!
//! - A message left streaming is completed with the text stored so far, marked interrupted.
//! - In every open run, a tool use left `Running` — approved or pre-approved, so possibly under
//!   way when Coder stopped — fails as interrupted by a restart, with its step; an open model
//!   call fails likewise, and so does a tool-call step whose tool use was never recorded (Coder
//!   stopped between the two). Running it again takes a new tool use, with a new approval where
//!   the policy asks. The run itself stays open: a runner continues it, and the model learns
//!   what was interrupted from the failed results.
//! - A step that waits for approval keeps waiting: the person can still answer it.
//! - A run that was open in a log brought in by `import` fails as imported: nothing runs here
//!   because a log arrived. The import records how far it reached in the same transaction as
//!   its events (`EventStore::imported_through`), so no crash can leave such a run to be
//!   carried on.
//!
//! Runners may start only once recovery has succeeded (`Engine::recovered`): until then a tool
//! use left `Running` may have run already.

use std::collections::BTreeMap;

use coder_domain::{Command, MessageId, RunId, StreamId, ThreadId, META_INTERRUPTED};

use crate::engine::{DispatchContext, Engine};
use crate::error::DispatchError;

/// Metadata key of the reason a run or tool use ended.
pub use coder_domain::META_REASON;

/// What a tool use or model call found under way at start fails with.
pub const INTERRUPTED_BY_RESTART: &str =
    "interrupted by a restart: Coder stopped while this was running, so it was not finished and is \
     not run again; its output so far is kept";

/// What an imported run that was still open ends with.
pub const IMPORTED_RUN: &str =
    "imported from another log: a run that was under way elsewhere is not carried on here";

#[derive(Debug, thiserror::Error)]
pub(crate) enum RecoveryError {
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error("reading the log failed: {0}")]
    Read(#[from] coder_store::ReadError),
}

/// Ends what was under way. Goes on past a run it cannot end, and reports the first failure.
pub(crate) fn recover(engine: &Engine) -> Result<(), RecoveryError> {
    let (streaming, mut open) = engine.with_state(|state| {
        let mut streaming: Vec<(ThreadId, MessageId, String)> = state
            .messages
            .values()
            .filter(|m| m.streaming)
            .map(|m| (m.thread_id, m.id, m.content.clone()))
            .collect();
        streaming.sort_by_key(|(_, id, _)| *id);
        let open: Vec<RunId> = state.runs.values().filter(|r| !r.status.is_final()).map(|r| r.id).collect();
        (streaming, open)
    });
    open.sort();
    let mut first_error: Option<RecoveryError> = None;
    let mut note = |result: Result<(), RecoveryError>| {
        if let Err(e) = result {
            tracing::error!(error = %e, "start-up recovery could not end something that was under way");
            first_error.get_or_insert(e);
        }
    };
    for (thread_id, message_id, text) in streaming {
        tracing::info!(%message_id, "completing a message interrupted mid-stream");
        let ctx = DispatchContext {
            metadata: BTreeMap::from([(META_INTERRUPTED.to_string(), "true".to_string())]),
            ..Default::default()
        };
        let complete = Command::CompleteMessage { thread_id, message_id, final_content: text };
        note(engine.dispatch_with_blocking(complete, ctx).map(drop).map_err(Into::into));
    }
    let imported_through = engine.store().imported_through()?;
    for run_id in open {
        note(end_or_interrupt(engine, run_id, imported_through));
    }
    first_error.map_or(Ok(()), Err)
}

/// Fails an imported run; interrupts what another run had under way (nothing, often: then the
/// decision records no event).
fn end_or_interrupt(
    engine: &Engine,
    run_id: RunId,
    imported_through: Option<u64>,
) -> Result<(), RecoveryError> {
    let imported = match imported_through {
        None => false,
        Some(through) => {
            let first = engine.store().read_stream(StreamId::Run(run_id), 1)?;
            first.first().is_some_and(|started| started.sequence <= through)
        }
    };
    let (command, reason) = if imported {
        tracing::info!(%run_id, "ending a run that was open in an imported log");
        (Command::FailRun { run_id, reason: IMPORTED_RUN.to_string() }, "imported")
    } else {
        (Command::InterruptRun { run_id, reason: INTERRUPTED_BY_RESTART.to_string() }, "interrupted")
    };
    let ctx = DispatchContext {
        correlation_id: engine.run_correlation(run_id),
        metadata: BTreeMap::from([(META_REASON.to_string(), reason.to_string())]),
        ..Default::default()
    };
    engine.dispatch_with_blocking(command, ctx)?;
    Ok(())
}
