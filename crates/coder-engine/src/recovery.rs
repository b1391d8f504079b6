//! Start-up recovery: what the app was doing when it stopped is finished honestly.
//!
//! - A message left streaming is completed with the text stored so far, marked interrupted.
//! - A run left queued or running is failed: its open tool uses fail, its open steps fail, and
//!   the run finishes `Failed` with the reason `interrupted` in the metadata.
//! - A run waiting for approval stays waiting: the person can still answer it.

use std::collections::BTreeMap;

use chrono::Utc;
use coder_domain::{Command, MessageId, RunId, RunStatus, StepResult, StreamId, ThreadId, META_INTERRUPTED};

use crate::engine::{DispatchContext, Engine};
use crate::error::DispatchError;

/// Metadata key of the reason a run or tool use ended.
pub const META_REASON: &str = "reason";

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
            .filter(|r| matches!(r.status, RunStatus::Queued | RunStatus::Running))
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
        tracing::info!(%run_id, "failing a run interrupted while it ran");
        fail_run(engine, run_id)?;
    }
    Ok(())
}

fn fail_run(engine: &Engine, run_id: RunId) -> Result<(), DispatchError> {
    let correlation_id = engine
        .store()
        .read_stream(StreamId::Run(run_id), 1)
        .ok()
        .and_then(|events| events.first().map(|e| e.correlation_id));
    let ctx = || DispatchContext {
        correlation_id,
        metadata: BTreeMap::from([(META_REASON.to_string(), "interrupted".to_string())]),
        ..Default::default()
    };
    let (tools, steps) = engine.with_state(|state| {
        let mut tools: Vec<_> = state
            .tool_uses
            .values()
            .filter(|t| t.run_id == run_id && !t.status.is_final())
            .map(|t| t.id)
            .collect();
        tools.sort();
        let steps: Vec<_> =
            state.runs[&run_id].steps.iter().filter(|s| !s.status.is_final()).map(|s| s.id).collect();
        (tools, steps)
    });
    for tool_use_id in tools {
        let error = "interrupted: Coder stopped while this tool was running".to_string();
        engine.dispatch_with_blocking(Command::FailToolUse { tool_use_id, error }, ctx())?;
    }
    for step_id in steps {
        let result = StepResult::Failed { error: "interrupted".into() };
        // A step may have ended with its tool use just above.
        let open = engine.with_state(|s| s.runs[&run_id].step(step_id).is_some_and(|s| !s.status.is_final()));
        if open {
            engine.dispatch_with_blocking(
                Command::CompleteStep { run_id, step_id, result, cost: None },
                ctx(),
            )?;
        }
    }
    let (cost, started_at) =
        engine.with_state(|s| (s.runs[&run_id].steps_cost(), s.runs[&run_id].started_at));
    let duration_ms = (Utc::now() - started_at).num_milliseconds().max(0) as u64;
    engine.dispatch_with_blocking(
        Command::FinishRun { run_id, status: RunStatus::Failed, cost, duration_ms },
        ctx(),
    )?;
    Ok(())
}
