//! Runs: the run panel's data, and the person's decisions on them.

use coder_agent::preview::{preview, StepPreview};
use coder_domain::{Approver, Run, RunId, RunView, StepId, ThreadId, ToolOutput, ToolUseId};
use serde::Serialize;
use tauri::State;

use super::blocking;
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// A run with what each step waiting for approval will do.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RunPanel {
    pub view: RunView,
    pub waiting: Vec<WaitingStep>,
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct WaitingStep {
    pub step_id: StepId,
    pub tool_use_id: ToolUseId,
    pub preview: StepPreview,
}

/// Runs the run panel lists: the newest ones. A long thread has tens of thousands; sending them
/// all would cost the window seconds for nothing.
const RUNS_LISTED: usize = 20;

/// A thread's newest runs, newest first. Waits for the write model to load: not on the main
/// thread.
#[tauri::command]
pub async fn thread_runs(state: State<'_, AppState>, thread_id: ThreadId) -> Result<Vec<Run>, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        Ok(engine.with_state(|s| {
            let mut runs: Vec<&Run> = s.runs.values().filter(|r| r.thread_id == thread_id).collect();
            let newest_first = |a: &&Run, b: &&Run| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id));
            if runs.len() > RUNS_LISTED {
                runs.select_nth_unstable_by(RUNS_LISTED - 1, newest_first);
                runs.truncate(RUNS_LISTED);
            }
            runs.sort_by(newest_first);
            runs.into_iter().cloned().collect()
        }))
    })
    .await
}

/// The run and the preview of each step waiting for approval. Previews read the project (capped
/// and never blocking on a FIFO), off the main thread.
#[tauri::command]
pub async fn run_panel(state: State<'_, AppState>, run_id: RunId) -> Result<RunPanel, IpcError> {
    let (engine, agent) = (state.engine.clone(), state.agent());
    blocking(move || panel(&engine, &agent, run_id)).await
}

fn panel(
    engine: &coder_engine::Engine,
    agent: &coder_agent::Agent,
    run_id: RunId,
) -> Result<RunPanel, IpcError> {
    let view = engine.run_view(run_id)?;
    let root = match &view.run {
        Some(run) => agent.project_root(run.thread_id)?,
        None => None,
    };
    let waiting = view
        .run
        .iter()
        .flat_map(|run| &run.steps)
        .filter(|step| step.step_type.needs_approval() && step.decision.is_none() && !step.status.is_final())
        .filter_map(|step| {
            let coder_domain::StepType::ToolCall { tool_use_id, .. } = &step.step_type else { return None };
            let tool = view.tool_use(*tool_use_id)?;
            Some(WaitingStep {
                step_id: step.id,
                tool_use_id: *tool_use_id,
                preview: preview(root.as_deref(), &tool.tool_name, &tool.input),
            })
        })
        .collect();
    Ok(RunPanel { view, waiting })
}

#[tauri::command]
pub async fn approve_step(
    state: State<'_, AppState>,
    run_id: RunId,
    step_id: StepId,
) -> Result<(), IpcError> {
    Ok(state.agent().approve(run_id, step_id, Approver::Person).await?)
}

#[tauri::command]
pub async fn reject_step(
    state: State<'_, AppState>,
    run_id: RunId,
    step_id: StepId,
    reason: Option<String>,
) -> Result<(), IpcError> {
    let reason = reason.filter(|r| !r.trim().is_empty());
    Ok(state.agent().reject(run_id, step_id, Approver::Person, reason).await?)
}

#[tauri::command]
pub async fn cancel_run(state: State<'_, AppState>, run_id: RunId) -> Result<(), IpcError> {
    Ok(state.agent().cancel_run(run_id).await?)
}

#[tauri::command]
pub async fn cancel_tool(state: State<'_, AppState>, tool_use_id: ToolUseId) -> Result<(), IpcError> {
    Ok(state.agent().cancel_tool(tool_use_id).await?)
}

/// A tool use's whole output, once it has one (the chat keeps a one-line summary, and the
/// engine's write model drops outputs; the run's own stream has them).
#[tauri::command]
pub async fn tool_output(
    state: State<'_, AppState>,
    run_id: RunId,
    tool_use_id: ToolUseId,
) -> Result<Option<ToolOutput>, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        let view = engine.run_view(run_id)?;
        let tool = view.tool_use(tool_use_id).ok_or_else(|| {
            IpcError::new(ErrorCode::NotFound, format!("no tool use {tool_use_id} in run {run_id}"))
        })?;
        Ok(tool.output.clone())
    })
    .await
}
