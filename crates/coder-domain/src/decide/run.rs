//! Runs, their steps and approvals, and tool uses.

use chrono::{DateTime, Utc};

use super::{check_label, check_size, limits};
use crate::commands::Command;
use crate::entities::{Run, StepRun, ToolUse, TransitionError};
use crate::error::{DomainError, EntityKind};
use crate::events::DomainEvent;
use crate::ids::{RunId, StepId, ToolUseId};
use crate::state::DomainState;
use crate::values::{ApprovalDecision, Approver, StepResult, StepStatus, StepType, ToolStatus, Verdict};

pub(super) fn decide(
    state: &DomainState,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    use Command as C;
    let timestamp = now;
    let events = match command {
        C::StartRun { run_id, thread_id, agent_name } => {
            if state.runs.contains_key(run_id) {
                return Err(DomainError::exists(EntityKind::Run, run_id));
            }
            if !state.threads.contains_key(thread_id) {
                return Err(DomainError::not_found(EntityKind::Thread, thread_id));
            }
            let agent_name = check_label("agent name", agent_name, limits::NAME_CHARS)?;
            vec![DomainEvent::RunStarted { run_id: *run_id, thread_id: *thread_id, agent_name, timestamp }]
        }
        C::StartStep { run_id, step_id, step_type, description } => {
            let run = run(state, *run_id)?;
            if let StepType::ToolCall { tool_name, .. } = step_type {
                check_label("tool name", tool_name, limits::NAME_CHARS)?;
            }
            check_size("step description", description.len(), limits::NOTE_BYTES)?;
            let step = StepRun::new(*step_id, step_type.clone(), description.clone(), now);
            run.clone().start_step(step)?;
            vec![DomainEvent::RunStepStarted {
                run_id: *run_id,
                step_id: *step_id,
                step_type: step_type.clone(),
                description: description.clone(),
                timestamp,
            }]
        }
        C::DenyToolCall { run_id, step_id, step_type, description, message_id, input, rule, reason } => {
            deny_tool_call(
                state,
                *run_id,
                *step_id,
                step_type,
                description,
                *message_id,
                input,
                (rule, reason),
                now,
            )?
        }
        C::UpdateStep { run_id, step_id, status, progress } => {
            let run = run(state, *run_id)?;
            step(run, *step_id)?;
            if let Some(p) = progress {
                check_fraction("progress", *p)?;
            }
            run.clone().update_step(*step_id, *status, *progress)?;
            vec![DomainEvent::RunStepUpdated {
                run_id: *run_id,
                step_id: *step_id,
                status: *status,
                progress: *progress,
                timestamp,
                decision: None,
            }]
        }
        C::CompleteStep { run_id, step_id, result, cost } => {
            let run = run(state, *run_id)?;
            step(run, *step_id)?;
            run.clone().complete_step(*step_id, result.clone(), *cost, now)?;
            vec![DomainEvent::RunStepComplete {
                run_id: *run_id,
                step_id: *step_id,
                result: result.clone(),
                timestamp,
                cost: *cost,
            }]
        }
        C::ApproveStep { run_id, step_id, by } => {
            decision(state, *run_id, *step_id, Verdict::Approved, by, None, now)?
        }
        C::RejectStep { run_id, step_id, by, reason } => {
            decision(state, *run_id, *step_id, Verdict::Rejected, by, reason.clone(), now)?
        }
        C::CancelRun { run_id } => {
            let run = run(state, *run_id)?;
            if run.status.is_final() {
                return Err(TransitionError::new("run", run_id, run.status, "Cancelled").into());
            }
            cancel_run(state, run, now)
        }
        C::FailRun { run_id, reason } => {
            let run = run(state, *run_id)?;
            if run.status.is_final() {
                return Err(TransitionError::new("run", run_id, run.status, "Failed").into());
            }
            check_size("reason", reason.len(), limits::NOTE_BYTES)?;
            fail_run(state, run, reason, now)
        }
        C::InterruptRun { run_id, reason } => {
            let run = run(state, *run_id)?;
            if run.status.is_final() {
                return Err(TransitionError::new("run", run_id, run.status, "interrupted").into());
            }
            check_size("reason", reason.len(), limits::NOTE_BYTES)?;
            interrupt_run(state, run, reason, now)
        }
        C::FinishRun { run_id, status, cost, duration_ms } => {
            let run = run(state, *run_id)?;
            run.clone().finish(*status, *cost, *duration_ms, now)?;
            vec![DomainEvent::RunFinished {
                run_id: *run_id,
                status: *status,
                cost: *cost,
                duration_ms: *duration_ms,
                timestamp,
            }]
        }
        C::AddArtifact { run_id, artifact_id, artifact_type, data } => {
            let run = run(state, *run_id)?;
            if run.status.is_final() {
                return Err(TransitionError::new("run", run_id, run.status, "new artifact").into());
            }
            let artifact_id = check_label("artifact id", artifact_id, limits::NAME_CHARS)?;
            check_size("artifact", data.len(), limits::ARTIFACT_BYTES)?;
            vec![DomainEvent::RunArtifactAdded {
                run_id: *run_id,
                artifact_id,
                artifact_type: artifact_type.clone(),
                data: data.clone(),
                timestamp,
            }]
        }
        C::StartToolUse { tool_use_id, run_id, message_id, tool_name, input } => {
            if state.tool_uses.contains_key(tool_use_id) {
                return Err(DomainError::exists(EntityKind::ToolUse, tool_use_id));
            }
            let run = run(state, *run_id)?;
            if run.status.is_final() {
                return Err(TransitionError::new("run", run_id, run.status, "new tool use").into());
            }
            let message = state
                .messages
                .get(message_id)
                .filter(|m| m.thread_id == run.thread_id)
                .ok_or_else(|| DomainError::not_found(EntityKind::Message, message_id))?;
            let tool_name = check_label("tool name", tool_name, limits::NAME_CHARS)?;
            check_size("tool input", json_len(input), limits::TOOL_INPUT_BYTES)?;
            let mut events = vec![DomainEvent::ToolUseStarted {
                tool_use_id: *tool_use_id,
                run_id: *run_id,
                message_id: message.id,
                tool_name,
                input: input.clone(),
                timestamp,
            }];
            // Its step was rejected (or ended) before the tool use was recorded: it never runs.
            if run.step_for_tool(*tool_use_id).is_some_and(|step| step.status.is_final()) {
                events.push(DomainEvent::ToolUseCancelled { tool_use_id: *tool_use_id, timestamp });
            }
            events
        }
        C::ReportToolProgress { tool_use_id, progress, status_message } => {
            let tool = tool_use(state, *tool_use_id)?;
            tool.check_progress()?;
            check_fraction("progress", *progress)?;
            check_size("status message", status_message.len(), limits::NOTE_BYTES)?;
            vec![DomainEvent::ToolUseProgress {
                tool_use_id: *tool_use_id,
                progress: *progress,
                status_message: status_message.clone(),
                timestamp,
            }]
        }
        C::CompleteToolUse { tool_use_id, result, duration_ms } => {
            let tool = tool_use(state, *tool_use_id)?;
            check_size("tool output", json_len(result), limits::TOOL_OUTPUT_BYTES)?;
            tool.clone().complete(result.clone(), *duration_ms, now)?;
            vec![DomainEvent::ToolUseComplete {
                tool_use_id: *tool_use_id,
                result: result.clone(),
                duration_ms: *duration_ms,
                timestamp,
            }]
        }
        C::FailToolUse { tool_use_id, error } => {
            let tool = tool_use(state, *tool_use_id)?;
            check_size("error", error.len(), limits::NOTE_BYTES)?;
            tool.clone().fail(error.clone(), now)?;
            vec![DomainEvent::ToolUseFailed { tool_use_id: *tool_use_id, error: error.clone(), timestamp }]
        }
        C::CancelToolUse { tool_use_id } => {
            let tool = tool_use(state, *tool_use_id)?;
            tool.clone().cancel(now)?;
            let mut events = vec![DomainEvent::ToolUseCancelled { tool_use_id: *tool_use_id, timestamp }];
            // A tool use's step ends with it, so a run never waits on a cancelled tool.
            if let Some(step) = state.step_of_tool(tool).filter(|s| !s.status.is_final()) {
                events.push(DomainEvent::RunStepComplete {
                    run_id: tool.run_id,
                    step_id: step.id,
                    result: StepResult::Cancelled,
                    timestamp,
                    cost: None,
                });
            }
            events
        }
        _ => unreachable!("routed by decide()"),
    };
    Ok(events)
}

fn run(state: &DomainState, id: RunId) -> Result<&Run, DomainError> {
    state.runs.get(&id).ok_or_else(|| DomainError::not_found(EntityKind::Run, id))
}

fn step(run: &Run, id: StepId) -> Result<&StepRun, DomainError> {
    run.step(id).ok_or_else(|| DomainError::not_found(EntityKind::Step, id))
}

fn tool_use(state: &DomainState, id: ToolUseId) -> Result<&ToolUse, DomainError> {
    state.tool_uses.get(&id).ok_or_else(|| DomainError::not_found(EntityKind::ToolUse, id))
}

fn check_fraction(field: &'static str, value: f32) -> Result<(), DomainError> {
    if !(0.0..=1.0).contains(&value) {
        return Err(DomainError::invalid(field, "must be a number from 0 to 1"));
    }
    Ok(())
}

fn json_len<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(usize::MAX, |v| v.len())
}

/// Approves or rejects a step that waits. A rejected tool call's tool use is cancelled with it.
fn decision(
    state: &DomainState,
    run_id: RunId,
    step_id: StepId,
    verdict: Verdict,
    by: &Approver,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    let run = run(state, run_id)?;
    let step = step(run, step_id)?;
    if let Some(earlier) = &step.decision {
        let verdict = match earlier.verdict {
            Verdict::Approved => "approved",
            Verdict::Rejected => "rejected",
        };
        return Err(DomainError::ApprovalAlreadyDecided { step: step_id.to_string(), verdict });
    }
    if !step.awaiting_approval() || run.status.is_final() {
        return Err(DomainError::StepNotAwaitingApproval { step: step_id.to_string() });
    }
    if let Some(reason) = &reason {
        check_size("reason", reason.len(), limits::NOTE_BYTES)?;
    }
    let status = match verdict {
        Verdict::Approved => StepStatus::Running,
        Verdict::Rejected => StepStatus::Skipped,
    };
    let mut events = vec![DomainEvent::RunStepUpdated {
        run_id,
        step_id,
        status,
        progress: None,
        timestamp: now,
        decision: Some(ApprovalDecision { verdict, by: by.clone(), reason }),
    }];
    if verdict == Verdict::Rejected {
        let tool = step.tool_use_id().and_then(|id| state.tool_uses.get(&id));
        if let Some(tool) = tool.filter(|t| !t.status.is_final()) {
            events.push(DomainEvent::ToolUseCancelled { tool_use_id: tool.id, timestamp: now });
        }
    }
    Ok(events)
}

/// A tool call a rule refuses: the events `StartStep`, `StartToolUse` and `RejectStep` would
/// record, checked as they would be, in one batch.
#[allow(clippy::too_many_arguments)]
fn deny_tool_call(
    state: &DomainState,
    run_id: RunId,
    step_id: StepId,
    step_type: &StepType,
    description: &str,
    message_id: crate::ids::MessageId,
    input: &serde_json::Value,
    (rule, reason): (&String, &String),
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    let StepType::ToolCall { tool_use_id, tool_name, gate: crate::values::ApprovalGate::NeedsApproval } =
        step_type
    else {
        return Err(DomainError::invalid("step type", "only a tool call that needs approval can be denied"));
    };
    let run = run(state, run_id)?;
    if state.tool_uses.contains_key(tool_use_id) {
        return Err(DomainError::exists(EntityKind::ToolUse, tool_use_id));
    }
    let message = state
        .messages
        .get(&message_id)
        .filter(|m| m.thread_id == run.thread_id)
        .ok_or_else(|| DomainError::not_found(EntityKind::Message, message_id))?;
    let tool_name = check_label("tool name", tool_name, limits::NAME_CHARS)?;
    check_size("step description", description.len(), limits::NOTE_BYTES)?;
    check_size("tool input", json_len(input), limits::TOOL_INPUT_BYTES)?;
    let rule = check_label("rule", rule, limits::NOTE_BYTES)?;
    check_size("reason", reason.len(), limits::NOTE_BYTES)?;
    let decision = ApprovalDecision {
        verdict: Verdict::Rejected,
        by: Approver::Policy { rule },
        reason: Some(reason.clone()),
    };
    let mut checked = run.clone();
    checked.start_step(StepRun::new(step_id, step_type.clone(), description.to_owned(), now))?;
    checked.decide_step(step_id, decision.clone())?;
    Ok(vec![
        DomainEvent::RunStepStarted {
            run_id,
            step_id,
            step_type: step_type.clone(),
            description: description.to_owned(),
            timestamp: now,
        },
        DomainEvent::ToolUseStarted {
            tool_use_id: *tool_use_id,
            run_id,
            message_id: message.id,
            tool_name,
            input: input.clone(),
            timestamp: now,
        },
        DomainEvent::RunStepUpdated {
            run_id,
            step_id,
            status: StepStatus::Skipped,
            progress: None,
            timestamp: now,
            decision: Some(decision),
        },
        DomainEvent::ToolUseCancelled { tool_use_id: *tool_use_id, timestamp: now },
    ])
}

/// The run's tool uses that are not final, in id order.
fn open_tools<'a>(state: &'a DomainState, run: &Run) -> Vec<&'a ToolUse> {
    let mut open: Vec<&ToolUse> =
        state.tool_uses.values().filter(|t| t.run_id == run.id && !t.status.is_final()).collect();
    open.sort_by_key(|t| t.id);
    open
}

/// Ends every open step of the run with `result`, in step order.
fn close_open_steps(run: &Run, result: &StepResult, now: DateTime<Utc>) -> Vec<DomainEvent> {
    run.steps
        .iter()
        .filter(|s| !s.status.is_final())
        .map(|s| DomainEvent::RunStepComplete {
            run_id: run.id,
            step_id: s.id,
            result: result.clone(),
            timestamp: now,
            cost: None,
        })
        .collect()
}

/// The run's end with `status`, at the cost its steps reported so far.
fn run_finished(run: &Run, status: crate::values::RunStatus, now: DateTime<Utc>) -> DomainEvent {
    DomainEvent::RunFinished {
        run_id: run.id,
        status,
        cost: run.steps_cost(),
        duration_ms: (now - run.started_at).num_milliseconds().max(0) as u64,
        timestamp: now,
    }
}

/// Cancels every open tool use and step of the run, then the run itself, with the cost its steps
/// reported so far.
fn cancel_run(state: &DomainState, run: &Run, now: DateTime<Utc>) -> Vec<DomainEvent> {
    let mut events: Vec<DomainEvent> = open_tools(state, run)
        .into_iter()
        .map(|t| DomainEvent::ToolUseCancelled { tool_use_id: t.id, timestamp: now })
        .collect();
    events.extend(close_open_steps(run, &StepResult::Cancelled, now));
    events.push(run_finished(run, crate::values::RunStatus::Cancelled, now));
    events
}

/// Fails every open tool use and step of the run, then the run itself.
fn fail_run(state: &DomainState, run: &Run, reason: &str, now: DateTime<Utc>) -> Vec<DomainEvent> {
    let mut events: Vec<DomainEvent> = open_tools(state, run)
        .into_iter()
        .map(|t| DomainEvent::ToolUseFailed { tool_use_id: t.id, error: reason.to_string(), timestamp: now })
        .collect();
    events.extend(close_open_steps(run, &StepResult::Failed { error: reason.to_string() }, now));
    events.push(run_finished(run, crate::values::RunStatus::Failed, now));
    events
}

/// Fails what may have been under way: running tool uses with their steps, open model calls,
/// and tool-call steps whose tool use was never recorded. A tool use still `Pending` waits for
/// approval (or was never approved), so it and its step stay.
fn interrupt_run(state: &DomainState, run: &Run, reason: &str, now: DateTime<Utc>) -> Vec<DomainEvent> {
    let failed = StepResult::Failed { error: reason.to_string() };
    let mut events = Vec::new();
    for tool in open_tools(state, run).into_iter().filter(|t| t.status == ToolStatus::Running) {
        events.push(DomainEvent::ToolUseFailed {
            tool_use_id: tool.id,
            error: reason.to_string(),
            timestamp: now,
        });
        if let Some(step) = run.step_for_tool(tool.id).filter(|s| !s.status.is_final()) {
            events.push(DomainEvent::RunStepComplete {
                run_id: run.id,
                step_id: step.id,
                result: failed.clone(),
                timestamp: now,
                cost: None,
            });
        }
    }
    // A model call was under way; a tool call whose tool use was never recorded cannot run.
    let cut_off = |s: &&StepRun| match s.tool_use_id() {
        None => s.step_type == StepType::ModelCall,
        Some(tool) => !state.tool_uses.contains_key(&tool),
    };
    events.extend(run.steps.iter().filter(|s| !s.status.is_final()).filter(cut_off).map(|s| {
        DomainEvent::RunStepComplete {
            run_id: run.id,
            step_id: s.id,
            result: failed.clone(),
            timestamp: now,
            cost: None,
        }
    }));
    events
}
