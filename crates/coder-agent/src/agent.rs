//! `Agent`: the service the app and the CLI talk to. It starts a run when a person sends a
//! message, answers approvals, cancels, and resumes runs after a restart.
//!
//! A run has at most one runner in the process, whatever happens: the registry of runners
//! belongs to the engine (one per store), not to an agent, and the provider and settings can be
//! replaced under running runs (`reconfigure`), taking effect from each run's next model call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use coder_domain::{Approver, Command, MessageId, RunId, RunStatus, StepId, ThreadId, ToolUseId};
use coder_engine::{DispatchContext, DispatchError, Engine};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::provider::Provider;
use crate::runner::{self, RunContext};
use crate::settings::Settings;
use crate::tools::ToolSet;

/// What happens live, before (or instead of) being stored: every streamed token, every output
/// line of a running command.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    TextDelta { thread_id: ThreadId, message_id: MessageId, text: String },
    ToolOutput { run_id: RunId, tool_use_id: ToolUseId, line: String },
    RunEnded { run_id: RunId, status: RunStatus },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error("no run {0}")]
    UnknownRun(RunId),
    #[error("the project folder {0} cannot be opened: {1}")]
    ProjectFolder(String, String),
    #[error("the run {0} has ended ({1:?}); there is nothing to resume")]
    RunEnded(RunId, RunStatus),
    /// No runner may start: what was under way when Coder stopped has not been ended.
    #[error("runs cannot be carried on: {0}")]
    NotRecovered(String),
}

impl AgentError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Dispatch(e) => e.code(),
            Self::UnknownRun(_) => "not_found",
            Self::ProjectFolder(..) => "project_folder",
            Self::RunEnded(..) => "illegal_transition",
            Self::NotRecovered(_) => "recovery_failed",
        }
    }
}

pub(crate) struct Active {
    pub cancel: CancellationToken,
    pub tools: HashMap<ToolUseId, CancellationToken>,
    pub done: tokio::sync::watch::Receiver<bool>,
}

/// The runs that have a runner in this process: one registry per engine (`Engine::extension`).
#[derive(Default)]
pub(crate) struct Runners {
    pub active: Mutex<HashMap<RunId, Active>>,
    /// Cancelled by `Agent::shutdown`: every runner on the engine stops without recording
    /// anything, whichever agent started it.
    pub stop: CancellationToken,
}

impl Runners {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RunId, Active>> {
        self.active.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The model provider and the settings, replaced together.
pub(crate) struct Config {
    pub provider: Arc<dyn Provider>,
    pub settings: Settings,
}

pub(crate) struct Shared {
    pub engine: Engine,
    config: RwLock<Arc<Config>>,
    pub tools: Arc<ToolSet>,
    pub live: broadcast::Sender<LiveEvent>,
    pub runners: Arc<Runners>,
}

impl Shared {
    /// The provider and settings now; a run reads them afresh for each model call.
    pub fn config(&self) -> Arc<Config> {
        self.config.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The agent runtime. Cheap to clone.
#[derive(Clone)]
pub struct Agent {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").field("provider", &self.provider_label()).finish_non_exhaustive()
    }
}

impl Agent {
    pub fn new(engine: Engine, provider: Arc<dyn Provider>, settings: Settings) -> Self {
        let (live, _) = broadcast::channel(4096);
        Self {
            shared: Arc::new(Shared {
                runners: engine.extension::<Runners>(),
                engine,
                config: RwLock::new(Arc::new(Config { provider, settings })),
                tools: Arc::new(ToolSet::standard()),
                live,
            }),
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.shared.engine
    }

    /// What the model provider is, in words (a demo says so).
    pub fn provider_label(&self) -> String {
        self.shared.config().provider.label()
    }

    /// Replaces the provider and settings. Runs that are under way keep their runner and use
    /// the new ones from their next model call on; nothing is started or run twice.
    pub fn reconfigure(&self, provider: Arc<dyn Provider>, settings: Settings) {
        *self.shared.config.write().unwrap_or_else(|e| e.into_inner()) =
            Arc::new(Config { provider, settings });
    }

    /// Streamed text and command output as they happen.
    pub fn live(&self) -> broadcast::Receiver<LiveEvent> {
        self.shared.live.subscribe()
    }

    /// Records the person's message and starts a run answering it. Must be called inside a
    /// Tokio runtime; the run goes on in the background.
    pub async fn send_message(&self, thread_id: ThreadId, text: &str) -> Result<RunId, AgentError> {
        self.shared.engine.recovered().map_err(AgentError::NotRecovered)?;
        let correlation = Uuid::now_v7();
        let ctx = DispatchContext { correlation_id: Some(correlation), ..Default::default() };
        let message_id = MessageId::new();
        let stored = self
            .shared
            .engine
            .dispatch_with(Command::SendMessage { thread_id, message_id, content: text.to_string() }, ctx)
            .await?;
        let cause = stored.last().map(|e| e.event_id);
        let run_id = RunId::new();
        let ctx =
            DispatchContext { correlation_id: Some(correlation), causation_id: cause, ..Default::default() };
        let agent_name = "coder".to_string();
        self.shared.engine.dispatch_with(Command::StartRun { run_id, thread_id, agent_name }, ctx).await?;
        self.spawn(run_id, correlation)?;
        Ok(run_id)
    }

    /// Approves a step that waits, and makes sure a runner carries the run on.
    pub async fn approve(&self, run_id: RunId, step_id: StepId, by: Approver) -> Result<(), AgentError> {
        let ctx = self.step_ctx(run_id, step_id);
        self.shared.engine.recovered().map_err(AgentError::NotRecovered)?;
        self.shared.engine.dispatch_with(Command::ApproveStep { run_id, step_id, by }, ctx).await?;
        self.ensure_runner(run_id)
    }

    /// Rejects a step that waits; the model is told, and the run goes on.
    pub async fn reject(
        &self,
        run_id: RunId,
        step_id: StepId,
        by: Approver,
        reason: Option<String>,
    ) -> Result<(), AgentError> {
        let ctx = self.step_ctx(run_id, step_id);
        self.shared.engine.recovered().map_err(AgentError::NotRecovered)?;
        self.shared.engine.dispatch_with(Command::RejectStep { run_id, step_id, by, reason }, ctx).await?;
        self.ensure_runner(run_id)
    }

    /// Cancels a run: its stream stops and its command is killed at once.
    pub async fn cancel_run(&self, run_id: RunId) -> Result<(), AgentError> {
        let token =
            self.shared.runners.lock().get(&run_id).filter(|a| !*a.done.borrow()).map(|a| a.cancel.clone());
        match token {
            Some(token) => {
                token.cancel();
                self.wait(run_id).await;
                Ok(())
            }
            None => {
                self.shared.engine.dispatch_with(Command::CancelRun { run_id }, self.run_ctx(run_id)).await?;
                Ok(())
            }
        }
    }

    /// Cancels one tool use; the run goes on and the model is told.
    pub async fn cancel_tool(&self, tool_use_id: ToolUseId) -> Result<(), AgentError> {
        let run_id = self.shared.engine.with_state(|s| s.tool_uses.get(&tool_use_id).map(|t| t.run_id));
        let ctx = run_id.map(|r| self.run_ctx(r)).unwrap_or_default();
        self.shared.engine.dispatch_with(Command::CancelToolUse { tool_use_id }, ctx).await?;
        if let Some(run_id) = run_id {
            let active = self.shared.runners.lock();
            if let Some(token) = active.get(&run_id).and_then(|a| a.tools.get(&tool_use_id)) {
                token.cancel();
            }
        }
        Ok(())
    }

    /// What the app does at start, after the engine's recovery: every open run gets a runner.
    /// One that waits for approval waits again, so an approval given later carries it on; one
    /// that was interrupted goes on from where the log says it stands (what was under way when
    /// Coder stopped has failed, and the model is told). Returns the runs, oldest first.
    /// Refused, starting nothing, unless start-up recovery succeeded on this engine.
    pub fn resume_all(&self) -> Result<Vec<RunId>, AgentError> {
        let mut open: Vec<RunId> = self
            .shared
            .engine
            .with_state(|s| s.runs.values().filter(|r| !r.status.is_final()).map(|r| r.id).collect());
        open.sort();
        for run in &open {
            self.ensure_runner(*run)?;
        }
        Ok(open)
    }

    /// Gives one open run a runner (see `resume_all`); an unknown or finished run is an error.
    pub fn resume(&self, run_id: RunId) -> Result<(), AgentError> {
        let status = self.shared.engine.with_state(|s| s.runs.get(&run_id).map(|r| r.status));
        match status {
            None => Err(AgentError::UnknownRun(run_id)),
            Some(status) if status.is_final() => Err(AgentError::RunEnded(run_id, status)),
            Some(_) => self.ensure_runner(run_id),
        }
    }

    /// Waits until the run's runner has stopped (the run finished, or it waits with no runner).
    pub async fn wait(&self, run_id: RunId) {
        let done = self.shared.runners.lock().get(&run_id).map(|a| a.done.clone());
        if let Some(mut done) = done {
            let _ = done.wait_for(|d| *d).await;
        }
    }

    /// Stops every runner without recording anything (the app is quitting) and waits for them.
    /// Runs waiting for approval stay waiting; `resume_all` picks them up at the next start.
    pub async fn shutdown(&self) {
        self.shared.runners.stop.cancel();
        let runs: Vec<RunId> = self.shared.runners.lock().keys().copied().collect();
        for run in runs {
            self.wait(run).await;
        }
    }

    /// The project root a thread's runs work in.
    pub fn project_root(&self, thread_id: ThreadId) -> Result<Option<PathBuf>, AgentError> {
        let path = self.shared.engine.with_state(|s| {
            let project = s.threads.get(&thread_id)?.project_id?;
            s.projects.get(&project).map(|p| p.path.clone())
        });
        match path {
            None => Ok(None),
            Some(path) => std::fs::canonicalize(&path)
                .map(Some)
                .map_err(|e| AgentError::ProjectFolder(path.clone(), e.to_string())),
        }
    }

    fn run_ctx(&self, run_id: RunId) -> DispatchContext {
        DispatchContext { correlation_id: self.shared.engine.run_correlation(run_id), ..Default::default() }
    }

    /// The context of a decision on a step: in the run's correlation, caused by the event that
    /// started the step.
    fn step_ctx(&self, run_id: RunId, step_id: StepId) -> DispatchContext {
        let events = self
            .shared
            .engine
            .store()
            .read_stream(coder_domain::StreamId::Run(run_id), 1)
            .unwrap_or_default();
        let started = events.iter().find(|e| {
            matches!(e.event, coder_domain::DomainEvent::RunStepStarted { step_id: s, .. } if s == step_id)
        });
        DispatchContext { causation_id: started.map(|e| e.event_id), ..self.run_ctx(run_id) }
    }

    fn ensure_runner(&self, run_id: RunId) -> Result<(), AgentError> {
        let correlation = self.shared.engine.run_correlation(run_id).unwrap_or_else(Uuid::now_v7);
        self.spawn(run_id, correlation)
    }

    /// Starts a runner for the run unless one is running already: checked and registered under
    /// one lock, so two approvals at once cannot start two runners (and run a tool twice).
    /// Refused until start-up recovery has succeeded: before it, a tool use left `Running` may
    /// have run already, and a runner would run it again.
    fn spawn(&self, run_id: RunId, correlation: Uuid) -> Result<(), AgentError> {
        self.shared.engine.recovered().map_err(AgentError::NotRecovered)?;
        let cancel = CancellationToken::new();
        let (done_tx, done_rx) = tokio::sync::watch::channel(false);
        {
            let mut active = self.shared.runners.lock();
            if active.get(&run_id).is_some_and(|a| !*a.done.borrow()) {
                return Ok(());
            }
            active.insert(run_id, Active { cancel: cancel.clone(), tools: HashMap::new(), done: done_rx });
        }
        let shared = self.shared.clone();
        tokio::spawn(async move {
            let cause =
                shared.engine.correlation(correlation).ok().and_then(|c| c.events.last().map(|e| e.event_id));
            let ctx =
                RunContext { shared: shared.clone(), run_id, correlation, cancel, cause: Mutex::new(cause) };
            if let Err(e) = runner::drive(&ctx).await {
                tracing::error!(%run_id, error = %e, "the run stopped on an error");
                runner::fail_after_error(&ctx, &e.to_string()).await;
            }
            let status = shared.engine.with_state(|s| s.runs.get(&run_id).map(|r| r.status));
            if let Some(status) = status.filter(|s| s.is_final()) {
                let _no_listeners = shared.live.send(LiveEvent::RunEnded { run_id, status });
            }
            // Let go of the engine before saying the runner is done: whoever waited may close it.
            drop(ctx);
            drop(shared);
            let _ = done_tx.send(true);
        });
        Ok(())
    }
}
