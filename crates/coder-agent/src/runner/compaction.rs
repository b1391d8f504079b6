//! Summarizing a thread's older part inside a run (see `crate::context`): before a model call
//! whose request would pass the window's threshold, and when a person asks for it ("Summarize up
//! to here", a run of its own). Either way the summary is written by a run step of its own,
//! "Summarize earlier messages", which carries the summary's cost; the `ThreadCompacted` event
//! says why (`CompactionTrigger`). A request that would not fit the window even so is never
//! sent: the run fails, saying why.

use coder_domain::{
    Command, CompactionTrigger, EventEnvelope, MessageId, RunStatus, StepId, StepResult, StepType, ThreadId,
};
use coder_engine::DispatchError;

use super::{cancel_run, finish, RunContext, RunError};
use crate::agent::Config;
use crate::context::{self, Budget, Calibration, Cut, SummaryError, THRESHOLD_PERCENT};
use crate::conversation::{summary_message, History};
use crate::provider::{ModelMessage, ToolSpec};

/// The longest answer a model call asks for.
pub(super) const MAX_OUTPUT_TOKENS: u64 = 4096;

/// A model call's conversation, made to fit the window.
pub(super) struct Prepared {
    pub messages: Vec<ModelMessage>,
    pub max_tokens: u32,
    /// The request's input tokens by the estimate, unscaled, when the window is known: what the
    /// provider's reported usage calibrates.
    pub estimate: Option<u64>,
}

/// The conversation for the next model call of the run, summarized first when the request would
/// pass the threshold. `None` when the run has ended instead (the summary failed or was
/// cancelled, or the request cannot fit).
pub(super) async fn prepare(
    ctx: &RunContext,
    thread_id: ThreadId,
    events: Vec<EventEnvelope>,
    config: &Config,
    system: &str,
    tools: &[ToolSpec],
) -> Result<Option<Prepared>, RunError> {
    let mut history = History::from_events(&events);
    let Some(window) = context::window_tokens(&config.settings) else {
        let max_tokens = MAX_OUTPUT_TOKENS as u32;
        return Ok(Some(Prepared { messages: history.conversation(), max_tokens, estimate: None }));
    };
    // No one tool result may take more than a share of the window, however the rest is cut.
    history.cap_results(context::result_chars(window));
    let calibration = ctx.shared.engine.extension::<Calibration>();
    let fixed = context::fixed_tokens(Some(system), tools);
    let estimate = |history: &History| fixed + tokens(&history.conversation());
    let mut raw = estimate(&history);
    let limit = window.saturating_mul(u64::from(THRESHOLD_PERCENT)) / 100;
    if calibration.apply(thread_id, raw) > limit {
        let budget = match Budget::new(window, fixed) {
            Ok(budget) => budget,
            Err(e) => {
                finish(ctx, RunStatus::Failed, Some(&e.to_string())).await?;
                return Ok(None);
            }
        };
        // The kept part is chosen by the unscaled estimate, so its share shrinks by the scale.
        let keep = budget.keep.saturating_mul(budget.keep) / calibration.apply(thread_id, budget.keep).max(1);
        if let Some(cut) = context::choose(&history, keep) {
            let trigger =
                CompactionTrigger::Automatic { window_tokens: window, threshold_percent: THRESHOLD_PERCENT };
            match summarize(ctx, thread_id, &history, cut, &budget, config, trigger).await? {
                // Another summary got there first: the thread is read again below.
                Ok(()) | Err(SummaryError::NotRecorded(_)) => {}
                Err(_) => return Ok(None),
            }
            let events =
                ctx.shared.engine.thread_events(thread_id).map_err(|e| RunError::Query(e.to_string()))?;
            history = History::from_events(&events);
            history.cap_results(context::result_chars(window));
            raw = estimate(&history);
        }
    }
    let input = calibration.apply(thread_id, raw);
    if input >= window {
        let reason = format!(
            "the conversation takes about {input} tokens, more than the model's context window of {window}, \
             and summarizing cannot make it fit; start a new thread, or set the window in Settings if the model's is larger"
        );
        finish(ctx, RunStatus::Failed, Some(&reason)).await?;
        return Ok(None);
    }
    let max_tokens = (window - input).min(MAX_OUTPUT_TOKENS) as u32;
    Ok(Some(Prepared { messages: history.conversation(), max_tokens, estimate: Some(raw) }))
}

/// Estimated tokens of `messages`.
fn tokens(messages: &[ModelMessage]) -> u64 {
    messages.iter().map(context::message_tokens).sum()
}

/// Writes the summary of the thread's messages through `cut` in a step of the run and records
/// it. `Ok(Err(_))` when it could not be written: the run has ended then, failed with the
/// reason or cancelled. A summary another run recorded in the meantime is not an error: the
/// step fails, and the caller looks at the thread again.
pub(super) async fn summarize(
    ctx: &RunContext,
    thread_id: ThreadId,
    history: &History,
    cut: Cut,
    budget: &Budget,
    config: &Config,
    trigger: CompactionTrigger,
) -> Result<Result<(), SummaryError>, RunError> {
    let step_id = StepId::new();
    ctx.dispatch(Command::StartStep {
        run_id: ctx.run_id,
        step_id,
        step_type: StepType::ModelCall,
        description: context::SUMMARY_STEP.into(),
    })
    .await?;
    let after = history.summary().map(|s| s.position);
    let replaced: Vec<ModelMessage> = history
        .items()
        .iter()
        .filter(|i| after.is_none_or(|a| i.owner > a) && i.owner <= cut.position)
        .map(|i| i.message.clone())
        .collect();
    let previous = history.summary().map(|s| s.text.as_str());
    let model = &config.settings.model;
    let written =
        context::summarize(&*config.provider, model, budget, previous, &replaced, &ctx.cancel).await;
    let written = match written {
        Ok(written) => written,
        Err(SummaryError::Cancelled) => {
            cancel_run(ctx).await?;
            return Ok(Err(SummaryError::Cancelled));
        }
        Err(e) => {
            let error = e.to_string();
            let result = StepResult::Failed { error: error.clone() };
            ctx.dispatch(Command::CompleteStep { run_id: ctx.run_id, step_id, result, cost: None }).await?;
            finish(ctx, RunStatus::Failed, Some(&error)).await?;
            return Ok(Err(e));
        }
    };
    let cost = Some(config.settings.prices.cost(written.usage));
    let summary_tokens = context::message_tokens(&summary_message(&written.text));
    let compact = Command::CompactThread {
        thread_id,
        through: cut.through,
        summary: written.text,
        replaced_tokens: cut.replaced_tokens,
        summary_tokens,
        trigger,
        run_id: Some(ctx.run_id),
    };
    let (result, outcome) = match ctx.dispatch(compact).await {
        Ok(_) => (StepResult::Success, Ok(())),
        Err(DispatchError::Domain(e)) => {
            let refused = SummaryError::NotRecorded(e.to_string());
            (StepResult::Failed { error: refused.to_string() }, Err(refused))
        }
        Err(e) => return Err(e.into()),
    };
    ctx.dispatch(Command::CompleteStep { run_id: ctx.run_id, step_id, result, cost }).await?;
    Ok(outcome)
}

/// A summary a person asked for, through `through`, in the run `ctx` (started for it): the
/// run succeeds with the summary recorded, or fails saying why.
pub(crate) async fn summarize_by_hand(
    ctx: &RunContext,
    thread_id: ThreadId,
    history: &History,
    through: MessageId,
    budget: &Budget,
) -> Result<Result<(), SummaryError>, RunError> {
    let cut = context::at(history, through).map_err(|e| RunError::Query(e.to_string()))?;
    let config = ctx.shared.config();
    let written = summarize(ctx, thread_id, history, cut, budget, &config, CompactionTrigger::Manual).await?;
    match &written {
        Ok(()) => finish(ctx, RunStatus::Success, None).await?,
        Err(refused @ SummaryError::NotRecorded(_)) => {
            finish(ctx, RunStatus::Failed, Some(&refused.to_string())).await?;
        }
        // The summary call failed or was cancelled: `summarize` ended the run.
        Err(_) => {}
    }
    Ok(written)
}
