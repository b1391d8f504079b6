//! Runs: the run panel's data, and the person's decisions on them.

use coder_agent::changes;
use coder_agent::preview::{preview, StepPreview};
use coder_domain::{
    Approver, DomainEvent, FileChangeRecord, Projection, Run, RunId, RunView, StepId, StreamId, ThreadId,
    ToolOutput, ToolUseId,
};
use serde::Serialize;
use serde_json::Value;
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
    blocking(move || Ok(engine.thread_runs(thread_id, RUNS_LISTED))).await
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
        .pending_approvals()
        .into_iter()
        .filter_map(|(step, tool)| tool.map(|tool| (step, tool)))
        .map(|(step, tool)| WaitingStep {
            step_id: step.id,
            tool_use_id: tool.id,
            preview: preview(root.as_deref(), &tool.tool_name, &tool.input),
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

/// Goes on from a run stopped at its turn limit, in a new run of the same thread.
#[tauri::command]
pub async fn continue_run(state: State<'_, AppState>, run_id: RunId) -> Result<RunId, IpcError> {
    Ok(state.agent().continue_run(run_id).await?)
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

/// Most characters of each text in a tool's input that `tool_detail` sends: a whole command or
/// path, but not the whole content a write carries (its diff shows that).
const DETAIL_TEXT_CHARS: usize = 4000;
/// Most bytes of a write's diff that `tool_detail` sends; the Files tab shows a longer one.
const DETAIL_DIFF_BYTES: usize = 256 * 1024;

/// What an opened tool card shows: the call's input, its whole output, and the file change it
/// made, if any. Bounded: texts of the input are cut, and so is the diff.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ToolDetail {
    /// The call's input, each text in it cut to `DETAIL_TEXT_CHARS` characters (and `…`).
    pub input: Value,
    /// The whole output, once the tool has one.
    pub output: Option<ToolOutput>,
    /// The change the call made to the file its input names (`write_file`, `edit_file`).
    pub change: Option<ToolChange>,
}

/// One recorded file change of a tool use, as a diff.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ToolChange {
    pub path: String,
    /// The change's event, as the Files tab names it.
    pub sequence: u64,
    /// A unified diff, or one line when it cannot be shown as one (`changes::render_diff`); cut
    /// at a line end after `DETAIL_DIFF_BYTES`.
    pub diff: String,
    /// The diff was cut.
    pub truncated: bool,
}

/// A tool use's input, output and file change, for its card. Reads the run's stream and, for a
/// write, the change's contents: off the main thread.
#[tauri::command]
pub async fn tool_detail(
    state: State<'_, AppState>,
    run_id: RunId,
    tool_use_id: ToolUseId,
) -> Result<ToolDetail, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        let events =
            engine.store().read_stream(StreamId::Run(run_id), 1).map_err(coder_engine::QueryError::from)?;
        let mut view = RunView::new(run_id);
        events.iter().for_each(|e| view.apply_envelope(e));
        let tool = view.tool_use(tool_use_id).ok_or_else(|| {
            IpcError::new(ErrorCode::NotFound, format!("no tool use {tool_use_id} in run {run_id}"))
        })?;
        let span = tool_span(events.iter().map(|e| (e.sequence, &e.event)), tool_use_id);
        let change = match (tool.input.get("path").and_then(Value::as_str), span) {
            (Some(path), Some(span)) => tool_change(&engine, run_id, path, span)?,
            _ => None,
        };
        Ok(ToolDetail {
            input: clip_texts(&tool.input, DETAIL_TEXT_CHARS),
            output: tool.output.clone(),
            change,
        })
    })
    .await
}

/// The change a tool use spanning `span` made to `path`, as a diff cut to `DETAIL_DIFF_BYTES`.
fn tool_change(
    engine: &coder_engine::Engine,
    run_id: RunId,
    path: &str,
    span: (u64, u64),
) -> Result<Option<ToolChange>, IpcError> {
    let run_changes = changes::run_changes(engine, run_id)?;
    let Some(record) = change_within(run_changes.iter().map(|(_, c)| c), span, path) else {
        return Ok(None);
    };
    let (diff, truncated) = cut_diff(changes::diff(engine, record)?, DETAIL_DIFF_BYTES);
    Ok(Some(ToolChange { path: record.path.clone(), sequence: record.sequence, diff, truncated }))
}

/// Where a tool use sits in the log: the sequence of its start and of its end (`u64::MAX` while
/// it runs), from its run's events in order. A tool's file changes are recorded between the two.
fn tool_span<'a>(
    events: impl Iterator<Item = (u64, &'a DomainEvent)>,
    tool_use_id: ToolUseId,
) -> Option<(u64, u64)> {
    let mut start = None;
    for (sequence, event) in events.filter(|(_, e)| e.tool_use_id() == Some(tool_use_id)) {
        match event {
            DomainEvent::ToolUseStarted { .. } => start = start.or(Some(sequence)),
            DomainEvent::ToolUseComplete { .. }
            | DomainEvent::ToolUseFailed { .. }
            | DomainEvent::ToolUseCancelled { .. } => return start.map(|start| (start, sequence)),
            _ => {}
        }
    }
    start.map(|start| (start, u64::MAX))
}

/// The change a tool use made to `path`: among the run's changes inside its span, the one of
/// that path, else the only one (the model may spell a path otherwise, e.g. `./README.md`).
/// Changes of a run are recorded one tool at a time, so another tool's change is never inside.
fn change_within<'a>(
    run_changes: impl Iterator<Item = &'a FileChangeRecord>,
    (start, end): (u64, u64),
    path: &str,
) -> Option<&'a FileChangeRecord> {
    let inside: Vec<&FileChangeRecord> =
        run_changes.filter(|c| c.sequence > start && c.sequence < end).collect();
    let named = inside.iter().copied().find(|c| c.path == path);
    match inside.as_slice() {
        [only] => named.or(Some(*only)),
        _ => named,
    }
}

/// `diff` cut to at most `max` bytes, at a line end; whether it was cut.
fn cut_diff(mut diff: String, max: usize) -> (String, bool) {
    if diff.len() <= max {
        return (diff, false);
    }
    let mut end = max;
    while !diff.is_char_boundary(end) {
        end -= 1;
    }
    let end = diff[..end].rfind('\n').map_or(end, |i| i + 1);
    diff.truncate(end);
    (diff, true)
}

/// `value` with every text longer than `max_chars` characters cut to its first `max_chars` and
/// `…`. Keys, numbers and the shape stay as they are.
fn clip_texts(value: &Value, max_chars: usize) -> Value {
    match value {
        Value::String(text) => match text.char_indices().nth(max_chars) {
            Some((at, _)) => Value::String(format!("{}…", &text[..at])),
            None => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| clip_texts(v, max_chars)).collect()),
        Value::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.clone(), clip_texts(v, max_chars))).collect())
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use coder_domain::{ContentHash, MessageId};
    use serde_json::json;

    use super::*;

    const WHEN: &str = "2025-01-01T00:00:00Z";

    fn event(value: Value) -> DomainEvent {
        serde_json::from_value(value).expect("a valid event")
    }

    fn change(sequence: u64, path: &str) -> FileChangeRecord {
        serde_json::from_value(json!({
            "sequence": sequence,
            "event_id": "00000000-0000-7000-8000-000000000001",
            "file_id": "00000000-0000-7000-8000-000000000002",
            "path": path,
            "change_type": {"kind": "Created", "after": ContentHash::of(b"x")},
            "run_id": null,
            "timestamp": WHEN,
        }))
        .expect("a valid change record")
    }

    #[test]
    fn a_tool_spans_from_its_start_to_its_end() {
        let (run_id, tool, other) = (RunId::new(), ToolUseId::new(), ToolUseId::new());
        let started = |id: ToolUseId| {
            event(json!({"type": "ToolUseStarted", "tool_use_id": id, "run_id": run_id,
                "message_id": MessageId::new(), "tool_name": "write_file", "input": {}, "timestamp": WHEN}))
        };
        let done = |id: ToolUseId| {
            event(json!({"type": "ToolUseComplete", "tool_use_id": id, "result": {"kind": "Empty"},
                "duration_ms": 1, "timestamp": WHEN}))
        };
        let events = [(3, started(other)), (4, done(other)), (7, started(tool)), (9, done(tool))];
        let span = |upto: usize, id| tool_span(events[..upto].iter().map(|(s, e)| (*s, e)), id);
        assert_eq!(span(4, tool), Some((7, 9)), "the tool's own start and end, not another's");
        assert_eq!(span(3, tool), Some((7, u64::MAX)), "a running tool has no end yet");
        assert_eq!(span(4, ToolUseId::new()), None);
    }

    #[test]
    fn a_tool_change_is_the_one_inside_its_span() {
        let changes = [change(2, "README.md"), change(8, "README.md"), change(12, "README.md")];
        let found = change_within(changes.iter(), (7, 9), "README.md").map(|c| c.sequence);
        assert_eq!(found, Some(8), "earlier and later writes of the same file belong to other tools");
        let spelled = change_within(changes.iter(), (7, 9), "./README.md").map(|c| c.sequence);
        assert_eq!(spelled, Some(8), "the only change inside the span, however the model spelled the path");
        assert_eq!(change_within(changes.iter(), (9, 11), "README.md").map(|c| c.sequence), None);
        let two = [change(8, "a.txt"), change(9, "b.txt")];
        assert_eq!(change_within(two.iter(), (7, 10), "b.txt").map(|c| c.sequence), Some(9));
        assert_eq!(
            change_within(two.iter(), (7, 10), "c.txt").map(|c| c.sequence),
            None,
            "no guess between two"
        );
    }

    #[test]
    fn a_long_diff_is_cut_at_a_line_end() {
        let diff = "--- a/x\n+++ b/x\n+ééé\n+last\n".to_string();
        assert_eq!(cut_diff(diff.clone(), 1000), (diff.clone(), false));
        let (cut, truncated) = cut_diff(diff, 20);
        assert!(truncated);
        assert_eq!(cut, "--- a/x\n+++ b/x\n", "whole lines only, never half a character");
    }

    #[test]
    fn long_texts_of_an_input_are_cut_and_the_rest_kept() {
        let input =
            json!({"path": "a.rs", "content": "é".repeat(10), "lines": [1, "abcdef"], "start_line": 3});
        assert_eq!(
            clip_texts(&input, 4),
            json!({"path": "a.rs", "content": "éééé…", "lines": [1, "abcd…"], "start_line": 3}),
            "texts over the limit are cut in characters; short ones, numbers and keys stay"
        );
    }
}
