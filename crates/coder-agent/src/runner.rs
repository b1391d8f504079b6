//! The run loop, driven by the run's state in the log so that it can pick a run up wherever it
//! stands — right after the person's message, or after a restart while a step waits for
//! approval:
//!
//! 1. While a tool-call step of the run is open: wait if it waits for approval; run its tool
//!    once it is approved; a rejected or cancelled one is already closed by its decision.
//! 2. Otherwise ask the model: stream an assistant message (every token live, coalesced chunks
//!    to the store), then turn each tool call into a step and a tool use, gated by the policy.
//! 3. When the model stops without tool calls, the run succeeds; a provider fault fails it
//!    with the text streamed so far kept; a cancellation cancels it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use coder_domain::{
    ApprovalGate, Command, EventEnvelope, MessageId, RunId, RunStatus, StepId, StepResult, StepType,
    ThreadId, ToolStatus, ToolUseId, META_INTERRUPTED,
};
use coder_engine::{DispatchContext, DispatchError};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::agent::{LiveEvent, Shared};
use crate::changes;
use crate::provider::{ModelEvent, ModelRequest, ProviderError, StopReason, Usage};
use crate::rules::{Call, RuleName, RuleSet, Verdict};
use crate::tools::{ToolContext, ToolError, ToolKind, ToolProgress};
use crate::tree;

pub(crate) mod compaction;

/// Streamed text is stored at most this often per message (DESIGN §3.2).
const STREAM_FLUSH: Duration = Duration::from_millis(250);
/// …or when this much text is waiting.
const STREAM_FLUSH_BYTES: usize = 8 * 1024;
/// Tool progress is stored at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Metadata key of why a run ended the way it did.
pub const META_REASON: &str = coder_engine::recovery::META_REASON;

pub(crate) const SYSTEM_PROMPT: &str =
    "You are Coder, an assistant that works on the person's project folder. \
Use the tools to look at files before changing them. Paths are relative to the project root. \
Writing files and running commands may need the person's approval; if they reject a call, do not insist.";

pub(crate) struct RunContext {
    pub shared: Arc<Shared>,
    pub run_id: RunId,
    pub correlation: Uuid,
    pub cancel: CancellationToken,
    /// The run's latest event: what the next one the runner records is caused by.
    pub cause: std::sync::Mutex<Option<Uuid>>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error("{0}")]
    Query(String),
}

/// Where the run stands, read from the write model.
enum Next {
    Finished,
    /// A tool step waits for a person's decision.
    Wait,
    /// An approved (or pre-approved) tool call is ready to run.
    RunTool {
        step: StepId,
        tool: ToolUseId,
    },
    /// Ask the model.
    ModelTurn,
}

impl RunContext {
    fn ctx(&self) -> DispatchContext {
        let causation_id = *self.cause.lock().unwrap_or_else(|e| e.into_inner());
        DispatchContext { correlation_id: Some(self.correlation), causation_id, ..Default::default() }
    }

    fn ctx_with(&self, key: &str, value: &str) -> DispatchContext {
        DispatchContext { metadata: BTreeMap::from([(key.to_string(), value.to_string())]), ..self.ctx() }
    }

    async fn dispatch(&self, command: Command) -> Result<Vec<EventEnvelope>, DispatchError> {
        self.dispatch_with(command, self.ctx()).await
    }

    /// Dispatches in the run's correlation; the stored events become the cause of the next.
    async fn dispatch_with(
        &self,
        command: Command,
        ctx: DispatchContext,
    ) -> Result<Vec<EventEnvelope>, DispatchError> {
        let stored = self.shared.engine.dispatch_with(command, ctx).await?;
        if let Some(last) = stored.last() {
            *self.cause.lock().unwrap_or_else(|e| e.into_inner()) = Some(last.event_id);
        }
        Ok(stored)
    }

    fn thread(&self) -> Result<ThreadId, RunError> {
        self.shared
            .engine
            .with_state(|s| s.runs.get(&self.run_id).map(|r| r.thread_id))
            .ok_or_else(|| RunError::Query(format!("no run {}", self.run_id)))
    }

    fn next(&self) -> Next {
        self.shared.engine.with_state(|s| {
            let Some(run) = s.runs.get(&self.run_id) else { return Next::Finished };
            if run.status.is_final() {
                return Next::Finished;
            }
            for step in run.steps.iter().filter(|st| !st.status.is_final()) {
                let Some(tool) = step.tool_use_id() else { continue };
                if step.awaiting_approval() {
                    return Next::Wait;
                }
                return Next::RunTool { step: step.id, tool };
            }
            Next::ModelTurn
        })
    }
}

/// Drives a run until it finishes or waits for a decision that does not come before the runner
/// is cancelled.
pub(crate) async fn drive(ctx: &RunContext) -> Result<(), RunError> {
    // When the app quits, the runner stops where it is without recording anything: a run that
    // waits keeps waiting, and one that was running is failed by the next start's recovery.
    tokio::select! {
        result = drive_until_done(ctx) => result,
        _ = ctx.shared.runners.stop.cancelled() => Ok(()),
    }
}

async fn drive_until_done(ctx: &RunContext) -> Result<(), RunError> {
    let mut changes = ctx.shared.engine.subscribe();
    // Summaries are model calls too, but not turns: they do not count towards `max_turns`.
    let mut turns = ctx.shared.engine.with_state(|s| {
        s.runs.get(&ctx.run_id).map_or(0, |r| {
            r.steps
                .iter()
                .filter(|st| {
                    st.step_type == StepType::ModelCall && st.description != crate::context::SUMMARY_STEP
                })
                .count()
        })
    }) as u32;
    loop {
        if ctx.cancel.is_cancelled() {
            return cancel_run(ctx).await;
        }
        match ctx.next() {
            Next::Finished => return Ok(()),
            Next::Wait => {
                tokio::select! {
                    _ = ctx.cancel.cancelled() => {}
                    // Any change is a reason to look at the run again; a lagging receiver too.
                    _change = changes.recv() => {}
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            Next::RunTool { step, tool } => run_tool(ctx, step, tool).await?,
            Next::ModelTurn => {
                if turns >= ctx.shared.config().settings.max_turns {
                    let calls = if turns == 1 { "call" } else { "calls" };
                    let reason = format!("the model made {turns} {calls} without finishing; stopped");
                    return finish_at_turn_limit(ctx, &reason).await;
                }
                turns += 1;
                if model_turn(ctx, turns).await? {
                    return Ok(());
                }
            }
        }
    }
}

/// One model call, the run's `turn`th. Returns true when the run ended (answer complete, fault
/// or cancellation).
async fn model_turn(ctx: &RunContext, turn: u32) -> Result<bool, RunError> {
    let engine = &ctx.shared.engine;
    let config = ctx.shared.config();
    let thread_id = ctx.thread()?;
    let events = engine.thread_events(thread_id).map_err(|e| RunError::Query(e.to_string()))?;
    let tools = ctx.shared.tools.specs();
    let Some(prepared) = compaction::prepare(ctx, thread_id, events, &config, SYSTEM_PROMPT, &tools).await?
    else {
        return Ok(true);
    };
    let request = ModelRequest {
        model: config.settings.model.clone(),
        system: Some(SYSTEM_PROMPT.into()),
        messages: prepared.messages,
        tools,
        max_tokens: prepared.max_tokens,
    };
    let step_id = StepId::new();
    ctx.dispatch(Command::StartStep {
        run_id: ctx.run_id,
        step_id,
        step_type: StepType::ModelCall,
        description: step_name(turn, &config.settings.model, &config.provider.label()),
    })
    .await?;
    let message_id = MessageId::new();
    ctx.dispatch(Command::StartAssistantMessage { thread_id, message_id }).await?;

    let mut stream = config.provider.stream(request);
    let mut text = String::new();
    let mut pending = String::new();
    let mut calls = Vec::new();
    let mut usage = Usage::default();
    let mut outcome: Result<StopReason, ProviderError> =
        Err(ProviderError::Disconnected("the response ended without saying why".into()));
    let mut cancelled = false;
    let mut flush_timer = tokio::time::interval(STREAM_FLUSH);
    let mut last_flush = Instant::now();
    loop {
        tokio::select! {
            _ = ctx.cancel.cancelled() => { cancelled = true; break; }
            _ = flush_timer.tick() => {
                if !pending.is_empty() && last_flush.elapsed() >= STREAM_FLUSH {
                    let delta = std::mem::take(&mut pending);
                    ctx.dispatch(Command::StreamText { thread_id, message_id, delta }).await?;
                    last_flush = Instant::now();
                }
            }
            item = stream.next() => match item {
                Some(Ok(ModelEvent::TextDelta(delta))) => {
                    let _no_listeners = ctx.shared.live.send(LiveEvent::TextDelta { thread_id, message_id, text: delta.clone() });
                    text.push_str(&delta);
                    pending.push_str(&delta);
                    if pending.len() >= STREAM_FLUSH_BYTES {
                        let delta = std::mem::take(&mut pending);
                        ctx.dispatch(Command::StreamText { thread_id, message_id, delta }).await?;
                        last_flush = Instant::now();
                    }
                }
                Some(Ok(ModelEvent::ToolCall(call))) => calls.push(call),
                Some(Ok(ModelEvent::Usage(u))) => {
                    usage.add(u);
                }
                Some(Ok(ModelEvent::Stop(reason))) => { outcome = Ok(reason); break; }
                Some(Err(e)) => { outcome = Err(e); break; }
                None => break,
            }
        }
    }
    drop(stream);
    if let Some(estimate) = prepared.estimate {
        let reported = u64::from(usage.total_input_tokens());
        engine.extension::<crate::context::Calibration>().observe(thread_id, estimate, reported);
    }
    if !pending.is_empty() {
        ctx.dispatch(Command::StreamText { thread_id, message_id, delta: std::mem::take(&mut pending) })
            .await?;
    }
    let complete = Command::CompleteMessage { thread_id, message_id, final_content: text };
    let cost = Some(config.settings.prices.cost(usage));
    if cancelled || outcome.is_err() {
        ctx.dispatch_with(complete, ctx.ctx_with(META_INTERRUPTED, "true")).await?;
    } else {
        ctx.dispatch(complete).await?;
    }
    if cancelled {
        return cancel_run(ctx).await.map(|()| true);
    }
    let reason = match outcome {
        Ok(reason) => reason,
        Err(e) => {
            let error = e.to_string();
            ctx.dispatch(Command::CompleteStep {
                run_id: ctx.run_id,
                step_id,
                result: StepResult::Failed { error: error.clone() },
                cost,
            })
            .await?;
            finish(ctx, RunStatus::Failed, Some(&error)).await?;
            return Ok(true);
        }
    };
    ctx.dispatch(Command::CompleteStep { run_id: ctx.run_id, step_id, result: StepResult::Success, cost })
        .await?;
    if calls.is_empty() {
        let status = if reason == StopReason::MaxTokens { RunStatus::Failed } else { RunStatus::Success };
        let note = (reason == StopReason::MaxTokens).then_some("the answer was cut off at the token limit");
        finish(ctx, status, note).await?;
        return Ok(true);
    }
    for call in calls {
        let tool_use_id = ToolUseId::new();
        let step_id = StepId::new();
        let (gate, gated) = gate(ctx, thread_id, &call.name, &call.input);
        let step_type = StepType::ToolCall { tool_use_id, tool_name: call.name.clone(), gate };
        let description = describe(&call.name, &call.input);
        if let Gated::DeniedBy(rule) = gated {
            let input = call.input.clone();
            ctx.dispatch(Command::DenyToolCall {
                run_id: ctx.run_id,
                step_id,
                step_type,
                description,
                message_id,
                input,
                rule: rule.to_string(),
                reason: Verdict::denial_reason(&rule),
            })
            .await?;
            continue;
        }
        let start = Command::StartStep { run_id: ctx.run_id, step_id, step_type, description };
        match gated {
            // The rule that made the call wait is named with its step (`RunView::step_reasons`).
            Gated::AskedBy(rule) => {
                ctx.dispatch_with(start, ctx.ctx_with(META_REASON, &rule.to_string())).await?
            }
            _ => ctx.dispatch(start).await?,
        };
        ctx.dispatch(Command::StartToolUse {
            tool_use_id,
            run_id: ctx.run_id,
            message_id,
            tool_name: call.name.clone(),
            input: call.input.clone(),
        })
        .await?;
    }
    Ok(false)
}

/// The approval policy: the project's and the global permission rules (`crate::rules`), with
/// read-only tools running and the rest waiting when no rule says otherwise. A call a rule
/// allows is pre-approved in that rule's name; one a rule denies is returned with the rule and
/// recorded as needing approval and rejected in the rule's name at once (`DenyToolCall`), so
/// the log shows both, no one can approve it in between, and the model is told.
fn gate(
    ctx: &RunContext,
    thread_id: ThreadId,
    tool: &str,
    input: &serde_json::Value,
) -> (ApprovalGate, Gated) {
    let rules = rule_set(ctx, thread_id);
    let root = ctx.shared_root(thread_id).ok();
    match rules.decide(&Call::new(&ctx.shared.tools, tool, input, root.as_deref())) {
        Verdict::Allow { by } => (ApprovalGate::PreApproved { policy: by }, Gated::Open),
        Verdict::Ask { by: Some(rule) } => (ApprovalGate::NeedsApproval, Gated::AskedBy(rule)),
        Verdict::Ask { by: None } => (ApprovalGate::NeedsApproval, Gated::Open),
        Verdict::Deny { by } => (ApprovalGate::NeedsApproval, Gated::DeniedBy(by)),
    }
}

/// What a rule did to a call besides its gate: nothing, made it wait, or refused it.
enum Gated {
    Open,
    AskedBy(RuleName),
    DeniedBy(RuleName),
}

/// The rules that apply to the thread's project now: its own, the global ones, and its
/// "always allow" tools.
fn rule_set(ctx: &RunContext, thread_id: ThreadId) -> RuleSet {
    let (project_rules, always_allow) = ctx
        .shared
        .engine
        .with_state(|s| {
            let project = s.projects.get(&s.threads.get(&thread_id)?.project_id?)?;
            Some((project.rules.clone(), project.tool_approvals.clone()))
        })
        .unwrap_or_default();
    let config = ctx.shared.config();
    RuleSet::new(&project_rules, &config.settings.rules, &always_allow)
}

/// Why a write must not run after all, deciding its call again right before it runs: the
/// calls of a turn are decided before any of them runs, so an earlier one (a command making
/// `src/cfg` a link to `../.env`) can change where a later write lands. A write a rule now
/// denies never runs; a pre-approved one that would now wait for the person does not run
/// either (the model is told, and may ask again in a new call).
fn refused_now(
    ctx: &RunContext,
    thread_id: ThreadId,
    step_id: StepId,
    tool: &str,
    input: &serde_json::Value,
    root: &std::path::Path,
) -> Option<String> {
    let pre_approved = ctx.shared.engine.with_state(|s| {
        s.runs.get(&ctx.run_id).and_then(|r| r.steps.iter().find(|st| st.id == step_id)).is_some_and(|st| {
            matches!(&st.step_type, StepType::ToolCall { gate: ApprovalGate::PreApproved { .. }, .. })
        })
    });
    let path = input.get("path").and_then(serde_json::Value::as_str).unwrap_or_default();
    let why = match rule_set(ctx, thread_id).decide(&Call::new(&ctx.shared.tools, tool, input, Some(root))) {
        Verdict::Allow { .. } => return None,
        Verdict::Deny { by } => format!("it is now {}", Verdict::denial_reason(&by)),
        Verdict::Ask { .. } if !pre_approved => return None,
        Verdict::Ask { by: Some(by) } => format!("it now needs the person's approval ({by})"),
        Verdict::Ask { by: None } => "no rule allows it any more".to_owned(),
    };
    Some(format!("{path} was not written: the rules were checked again right before the write, and {why}"))
}

/// What the run panel calls a model call: its number in the run and the model, the provider's
/// whole label only when no model is named (the demo).
fn step_name(turn: u32, model: &str, provider: &str) -> String {
    match model.trim() {
        "" => format!("Model call {turn} · {provider}"),
        model => format!("Model call {turn} · {model}"),
    }
}

/// A one-line description of a tool call for the run panel.
fn describe(tool: &str, input: &serde_json::Value) -> String {
    let field = |k: &str| input.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    match tool {
        "run_command" => format!("Run `{}`", field("command").unwrap_or_default()),
        "write_file" => format!("Write {}", field("path").unwrap_or_default()),
        "edit_file" => format!("Edit {}", field("path").unwrap_or_default()),
        "read_file" => format!("Read {}", field("path").unwrap_or_default()),
        "search" => format!("Search for {}", field("pattern").unwrap_or_default()),
        "list_files" => format!("List {}", field("path").unwrap_or_else(|| "the project".into())),
        "update_plan" => "Update the plan".into(),
        other => format!("Use {other}"),
    }
}

/// Runs one approved tool call and records its result and file changes.
async fn run_tool(ctx: &RunContext, step_id: StepId, tool_use_id: ToolUseId) -> Result<(), RunError> {
    let engine = &ctx.shared.engine;
    let found = engine.with_state(|s| {
        s.tool_uses.get(&tool_use_id).map(|t| (t.tool_name.clone(), t.input.clone(), t.status))
    });
    let Some((name, input, status)) = found else {
        let error = "the tool call was never started (Coder stopped in between)".to_string();
        return close_step(ctx, step_id, StepResult::Failed { error }).await;
    };
    let fail = |error: String| async move {
        ctx.dispatch(Command::FailToolUse { tool_use_id, error: error.clone() }).await?;
        close_step(ctx, step_id, StepResult::Failed { error }).await
    };
    if status != ToolStatus::Running {
        if status.is_final() {
            return close_step(
                ctx,
                step_id,
                StepResult::Failed { error: "the tool use ended before it ran".into() },
            )
            .await;
        }
        return fail("the tool did not start (Coder stopped before it ran)".into()).await;
    }
    let thread_id = ctx.thread()?;
    let Some(tool) = ctx.shared.tools.get(&name) else {
        return fail(format!("there is no tool named {name}")).await;
    };
    let root: PathBuf = match ctx.shared_root(thread_id) {
        Ok(root) => root,
        Err(e) => return fail(e).await,
    };
    if tool.kind() == ToolKind::Write {
        if let Some(error) = refused_now(ctx, thread_id, step_id, &name, &input, &root) {
            return fail(error).await;
        }
    }
    let project = engine.with_state(|s| s.threads.get(&thread_id).and_then(|t| t.project_id));
    let cancel = ctx.cancel.child_token();
    if let Some(active) = ctx.shared.runners.lock().get_mut(&ctx.run_id) {
        active.tools.insert(tool_use_id, cancel.clone());
    }
    // The log must agree with the disk before a write, so that the write's change is never
    // refused after the file was already written (see `changes::check_before_write`).
    if tool.kind() == ToolKind::Write {
        if let (Some(project), Some(path)) = (project, input.get("path").and_then(serde_json::Value::as_str))
        {
            if let Err(e) = changes::check_before_write(engine, project, &root, path).await {
                return fail(format!("{path} was not written: {e}")).await;
            }
        }
    }
    let (progress_tx, mut progress_rx) = crate::tools::progress_channel();
    let project_path =
        engine.with_state(|s| project.and_then(|p| s.projects.get(&p)).map(|p| p.path.clone()));
    let env_allow =
        project_path.and_then(|path| ctx.shared.config().settings.command_env_allow.get(&path).cloned());
    let tool_ctx = ToolContext {
        root: root.clone(),
        cancel: cancel.clone(),
        progress: progress_tx,
        env_allow: env_allow.unwrap_or_default(),
    };
    // Cancelling the tool use, or the run, while the checks above awaited ends it here: the
    // tool must not start once its cancellation is recorded.
    let still_running = engine.with_state(|s| s.tool_uses.get(&tool_use_id).map(|t| t.status));
    if cancel.is_cancelled() || still_running != Some(ToolStatus::Running) {
        if let Some(active) = ctx.shared.runners.lock().get_mut(&ctx.run_id) {
            active.tools.remove(&tool_use_id);
        }
        return Ok(());
    }
    let before = (tool.kind() == ToolKind::Command).then(|| tree::read(&root));
    let started = Instant::now();
    let result = {
        let run = tool.run(input, &tool_ctx);
        tokio::pin!(run);
        // Every line goes live; the store gets one at most every PROGRESS_EVERY.
        let mut last_report: Option<Instant> = None;
        loop {
            tokio::select! {
                result = &mut run => break result,
                Some(progress) = progress_rx.recv() => {
                    // A progress message carries a chunk of output; the window shows it by line.
                    for line in progress.message.lines() {
                        let _no_listeners = ctx.shared.live.send(LiveEvent::ToolOutput { run_id: ctx.run_id, tool_use_id, line: line.to_string() });
                    }
                    if last_report.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                        report_progress(ctx, tool_use_id, progress).await;
                        last_report = Some(Instant::now());
                    }
                }
            }
        }
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    drop(tool_ctx);
    if let Some(active) = ctx.shared.runners.lock().get_mut(&ctx.run_id) {
        active.tools.remove(&tool_use_id);
    }
    let mut writes = match &result {
        Ok(r) => r.writes.clone(),
        Err(_) => Vec::new(),
    };
    if let Some(before) = before {
        // A command's effects are recorded even when it failed or was stopped.
        let after = tree::read(&root);
        writes.extend(tree::diff(&before, &after));
    }
    if let Some(project) = project {
        let stored = changes::record(engine, project, Some(ctx.run_id), &writes, &ctx.ctx()).await?;
        if let Some(last) = stored.last() {
            *ctx.cause.lock().unwrap_or_else(|e| e.into_inner()) = Some(last.event_id);
        }
    }
    match result {
        Ok(r) => {
            ctx.dispatch(Command::CompleteToolUse { tool_use_id, result: r.output, duration_ms }).await?;
            close_step(ctx, step_id, StepResult::Success).await
        }
        Err(ToolError::Cancelled) => {
            // Either the person cancelled this tool (already recorded, step closed) or the run
            // is being cancelled (the loop does that next).
            Ok(())
        }
        Err(e) => {
            ctx.dispatch(Command::FailToolUse { tool_use_id, error: e.to_string() }).await?;
            close_step(ctx, step_id, StepResult::Failed { error: e.to_string() }).await
        }
    }
}

async fn report_progress(ctx: &RunContext, tool_use_id: ToolUseId, progress: ToolProgress) {
    let command = Command::ReportToolProgress {
        tool_use_id,
        progress: progress.fraction.unwrap_or(0.0).clamp(0.0, 1.0),
        status_message: progress.message,
    };
    if let Err(e) = ctx.dispatch(command).await {
        tracing::debug!(error = %e, "progress not recorded");
    }
}

/// Completes a step unless a decision or cancellation already closed it.
async fn close_step(ctx: &RunContext, step_id: StepId, result: StepResult) -> Result<(), RunError> {
    let open = ctx.shared.engine.with_state(|s| {
        s.runs.get(&ctx.run_id).and_then(|r| r.step(step_id)).is_some_and(|st| !st.status.is_final())
    });
    if open {
        ctx.dispatch(Command::CompleteStep { run_id: ctx.run_id, step_id, result, cost: None }).await?;
    }
    Ok(())
}

/// Finishes the run with the cost of all its model calls at the configured prices.
async fn finish(ctx: &RunContext, status: RunStatus, reason: Option<&str>) -> Result<(), RunError> {
    let dispatch_ctx = match reason {
        Some(reason) => ctx.ctx_with(META_REASON, reason),
        None => ctx.ctx(),
    };
    finish_in(ctx, status, dispatch_ctx).await
}

/// Records the run's end with `dispatch_ctx`'s metadata.
async fn finish_in(
    ctx: &RunContext,
    status: RunStatus,
    dispatch_ctx: DispatchContext,
) -> Result<(), RunError> {
    // The steps' own costs, summed: each was priced when it ended, cached input at its price.
    let (cost, started_at) = ctx
        .shared
        .engine
        .with_state(|s| s.runs.get(&ctx.run_id).map(|run| (run.steps_cost(), run.started_at)))
        .ok_or_else(|| RunError::Query(format!("no run {}", ctx.run_id)))?;
    let duration_ms = (Utc::now() - started_at).num_milliseconds().max(0) as u64;
    let command = Command::FinishRun { run_id: ctx.run_id, status, cost, duration_ms };
    ctx.dispatch_with(command, dispatch_ctx).await?;
    Ok(())
}

/// Ends a run that reached its turn limit with the model still working, marked so that
/// "Continue" can start a run that goes on (`META_TURN_LIMIT`).
async fn finish_at_turn_limit(ctx: &RunContext, reason: &str) -> Result<(), RunError> {
    let mut dispatch_ctx = ctx.ctx_with(META_REASON, reason);
    dispatch_ctx.metadata.insert(coder_domain::META_TURN_LIMIT.to_string(), "true".to_string());
    finish_in(ctx, RunStatus::Failed, dispatch_ctx).await
}

/// Ends a run whose runner hit an error it cannot go on from, as honestly as the log allows:
/// the thread's streaming messages complete (interrupted), then one `FailRun` fails the open
/// tool uses and steps and the run with the error as its reason, atomically. Best effort: what
/// cannot be recorded now is ended by the next start's recovery.
pub(crate) async fn fail_after_error(ctx: &RunContext, reason: &str) {
    let Ok(thread_id) = ctx.thread() else { return };
    let streaming: Vec<(MessageId, String)> = ctx.shared.engine.with_state(|s| {
        let mut streaming: Vec<(MessageId, String)> = s
            .messages
            .values()
            .filter(|m| m.streaming && m.thread_id == thread_id)
            .map(|m| (m.id, m.content.clone()))
            .collect();
        streaming.sort();
        streaming
    });
    for (message_id, final_content) in streaming {
        let complete = Command::CompleteMessage { thread_id, message_id, final_content };
        let _best_effort = ctx.dispatch_with(complete, ctx.ctx_with(META_INTERRUPTED, "true")).await;
    }
    let reason = cut(reason, coder_domain::limits::NOTE_BYTES);
    let fail = Command::FailRun { run_id: ctx.run_id, reason: reason.clone() };
    if let Err(e) = ctx.dispatch_with(fail, ctx.ctx_with(META_REASON, &reason)).await {
        tracing::error!(run_id = %ctx.run_id, error = %e, "could not record the run's failure; the next start ends what was under way");
    }
}

/// Records the cancellation of the run (open tool uses and steps with it).
async fn cancel_run(ctx: &RunContext) -> Result<(), RunError> {
    let open =
        ctx.shared.engine.with_state(|s| s.runs.get(&ctx.run_id).is_some_and(|r| !r.status.is_final()));
    if open {
        match ctx.dispatch(Command::CancelRun { run_id: ctx.run_id }).await {
            Ok(_) => {}
            // Finished in the meantime: nothing left to cancel.
            Err(DispatchError::Domain(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

impl RunContext {
    fn shared_root(&self, thread_id: ThreadId) -> Result<PathBuf, String> {
        let path = self.shared.engine.with_state(|s| {
            let project = s.threads.get(&thread_id)?.project_id?;
            s.projects.get(&project).map(|p| p.path.clone())
        });
        let path = path.ok_or("this thread has no project folder, so tools cannot run")?;
        std::fs::canonicalize(&path).map_err(|e| format!("the project folder {path} cannot be opened: {e}"))
    }
}

/// `text` cut to at most `max` bytes, at a character boundary, with its lines kept.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub('…'.len_utf8());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_call_is_named_by_its_number_and_model() {
        assert_eq!(
            step_name(2, "llama3.2", "OpenAI-compatible (llama3.2 at http://x)"),
            "Model call 2 · llama3.2"
        );
        assert_eq!(
            step_name(1, " ", "Demo (scripted, no model)"),
            "Model call 1 · Demo (scripted, no model)"
        );
    }

    #[test]
    fn a_reason_is_cut_at_a_character_boundary_with_its_lines() {
        let reason = "first line\nsecond ééééé";
        assert_eq!(cut(reason, 100), reason, "short text is kept whole, line breaks too");
        let short = cut(reason, 20);
        assert!(short.len() <= 20 && short.ends_with('…') && short.starts_with("first line\n"), "{short:?}");
    }
}
