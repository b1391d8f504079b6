//! "Summarize up to here": a summary a person asks for, written by a small run of its own so
//! that its cost and any failure are recorded like a model call's.

use std::collections::HashMap;
use std::sync::Mutex;

use coder_domain::{Command, MessageId, RunId, ThreadId};
use coder_engine::DispatchContext;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Active, Agent, AgentError};
use crate::context::{self, Budget, CompactError, CutError, SummaryError};
use crate::conversation::History;
use crate::runner::{self, RunContext};

/// The window assumed for a provider that names none (the demo): large enough for any thread.
const NO_WINDOW: u64 = 131_072;

impl Agent {
    /// Summarizes the thread up to and including `through`: from then on the model is sent the
    /// summary in place of those messages (`ThreadCompacted`, trigger `Manual`), which stay in
    /// the log and the chat. Returns the run that wrote it once it is recorded. A message that
    /// is not in the thread, still being written, has a tool call still running, or is already
    /// summarized is refused before anything is recorded; a model that cannot write the
    /// summary fails the run, and the error says why.
    pub async fn summarize(&self, thread_id: ThreadId, through: MessageId) -> Result<RunId, AgentError> {
        let engine = &self.shared.engine;
        engine.recovered().map_err(AgentError::NotRecovered)?;
        let known = engine.with_state(|s| s.messages.get(&through).is_some_and(|m| m.thread_id == thread_id));
        if !known {
            return Err(CompactError::Cut(CutError::NotFound).into());
        }
        let events = engine.thread_events(thread_id).map_err(|e| CompactError::Read(e.to_string()))?;
        let history = History::from_events(&events);
        context::at(&history, through).map_err(CompactError::Cut)?;
        let config = self.shared.config();
        let window = context::window_tokens(&config.settings).unwrap_or(NO_WINDOW);
        let fixed = context::fixed_tokens(Some(runner::SYSTEM_PROMPT), &self.shared.tools.specs());
        let budget = Budget::new(window, fixed).map_err(CompactError::Summary)?;

        let correlation = Uuid::now_v7();
        let run_id = RunId::new();
        let start = Command::StartRun { run_id, thread_id, agent_name: "coder".into() };
        let dispatch = DispatchContext { correlation_id: Some(correlation), ..Default::default() };
        let stored = engine.dispatch_with(start, dispatch).await?;
        let cancel = CancellationToken::new();
        let (done_tx, done_rx) = tokio::sync::watch::channel(false);
        self.shared
            .runners
            .lock()
            .insert(run_id, Active { cancel: cancel.clone(), tools: HashMap::new(), done: done_rx });
        let ctx = RunContext {
            shared: self.shared.clone(),
            run_id,
            correlation,
            cancel,
            cause: Mutex::new(stored.last().map(|e| e.event_id)),
        };
        // When the app quits meanwhile, the run is left as it stands for the next start's
        // recovery to end, like any run's.
        let outcome = tokio::select! {
            outcome = runner::compaction::summarize_by_hand(&ctx, thread_id, &history, through, &budget) => Some(outcome),
            _ = self.shared.runners.stop.cancelled() => None,
        };
        let outcome = match outcome {
            Some(Ok(written)) => written.map_err(|e| AgentError::from(CompactError::Summary(e))),
            Some(Err(e)) => {
                runner::fail_after_error(&ctx, &e.to_string()).await;
                Err(match e {
                    runner::RunError::Dispatch(e) => AgentError::Dispatch(e),
                    runner::RunError::Query(e) => CompactError::Read(e).into(),
                })
            }
            None => Err(CompactError::Summary(SummaryError::Cancelled).into()),
        };
        let status = engine.with_state(|s| s.runs.get(&run_id).map(|r| r.status));
        if let Some(status) = status.filter(|s| s.is_final()) {
            let _no_listeners = self.shared.live.send(super::LiveEvent::RunEnded { run_id, status });
        }
        drop(ctx);
        let _ = done_tx.send(true);
        outcome.map(|()| run_id)
    }
}
