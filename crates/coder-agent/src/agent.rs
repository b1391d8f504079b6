//! `Agent`: the service the app and the CLI talk to. It starts a run when a person sends a
//! message, answers approvals, cancels, and resumes runs after a restart.
//!
//! A run has at most one runner in the process, whatever happens: the registry of runners
//! belongs to the engine (one per store), not to an agent, and the provider and settings can be
//! replaced under running runs (`reconfigure`), taking effect from each run's next model call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use coder_domain::{
    Approver, Attachment, Command, ContentHash, MessageId, RunId, RunStatus, StepId, ThreadId, ToolUseId,
};
use coder_engine::{DispatchContext, DispatchError, Engine};
use serde::Serialize;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::attachments::{self, AttachError, AttachRequest, ImageBlobs, StoredImage};
use crate::provider::Provider;
use crate::runner::{self, RunContext};
use crate::settings::Settings;
use crate::tools::ToolSet;

mod summarize;

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
    /// Only a run stopped at its turn limit, and the thread's newest, can be continued.
    #[error("the run {0} did not stop at its turn limit, or the thread went on since; there is nothing to continue")]
    NotContinuable(RunId),
    /// No runner may start: what was under way when Coder stopped has not been ended.
    #[error("runs cannot be carried on: {0}")]
    NotRecovered(String),
    /// A summary by hand cannot be made; the message says why.
    #[error(transparent)]
    Compact(#[from] crate::context::CompactError),
    /// A file or image cannot be attached; nothing was recorded.
    #[error(transparent)]
    Attachment(#[from] AttachError),
}

impl AgentError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Dispatch(e) => e.code(),
            Self::UnknownRun(_) => "not_found",
            Self::ProjectFolder(..) => "project_folder",
            Self::RunEnded(..) | Self::NotContinuable(_) => "illegal_transition",
            Self::NotRecovered(_) => "recovery_failed",
            Self::Compact(e) => e.code(),
            Self::Attachment(e) => e.code(),
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

/// Serializes `Agent::continue_run` on an engine.
#[derive(Default)]
struct Continuing(tokio::sync::Mutex<()>);

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
    /// The provider is wrapped so that the images a conversation carries get their bytes from
    /// the engine's blob table before each request (`attachments::ImageBlobs`).
    pub fn new(engine: Engine, provider: Arc<dyn Provider>, settings: Settings) -> Self {
        let (live, _) = broadcast::channel(4096);
        let provider = ImageBlobs::wrap(provider, engine.store().clone());
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
        let provider = ImageBlobs::wrap(provider, self.shared.engine.store().clone());
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
        self.send_message_with(thread_id, text, Vec::new()).await
    }

    /// `send_message` with files and images attached. Files are read now, from the thread's
    /// project; images must have been stored (`store_image`) and are stored again with the
    /// message's events, in the same write. Any attachment that cannot be made refuses the
    /// whole message, and nothing is recorded.
    pub async fn send_message_with(
        &self,
        thread_id: ThreadId,
        text: &str,
        attach: Vec<AttachRequest>,
    ) -> Result<RunId, AgentError> {
        self.shared.engine.recovered().map_err(AgentError::NotRecovered)?;
        let (attachments, blobs) = self.attachments(thread_id, attach).await?;
        let correlation = Uuid::now_v7();
        let ctx = DispatchContext { correlation_id: Some(correlation), blobs, ..Default::default() };
        let message_id = MessageId::new();
        let command = Command::SendMessage { thread_id, message_id, content: text.to_string(), attachments };
        let stored = self.shared.engine.dispatch_with(command, ctx).await?;
        let cause = stored.last().map(|e| e.event_id);
        let run_id = RunId::new();
        let ctx =
            DispatchContext { correlation_id: Some(correlation), causation_id: cause, ..Default::default() };
        let agent_name = "coder".to_string();
        self.shared.engine.dispatch_with(Command::StartRun { run_id, thread_id, agent_name }, ctx).await?;
        self.spawn(run_id, correlation)?;
        Ok(run_id)
    }

    /// The attachments `attach` asks for, and the image bytes to store with them.
    async fn attachments(
        &self,
        thread_id: ThreadId,
        attach: Vec<AttachRequest>,
    ) -> Result<(Vec<Attachment>, Vec<Vec<u8>>), AgentError> {
        if attach.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let root = if attach.iter().any(|a| matches!(a, AttachRequest::File { .. })) {
            Some(self.project_root(thread_id)?.ok_or(AttachError::NoProject)?)
        } else {
            None
        };
        let store = self.shared.engine.store().clone();
        let read = move || -> Result<_, AttachError> {
            let mut attachments = Vec::with_capacity(attach.len());
            let mut blobs = Vec::new();
            for request in attach {
                match request {
                    AttachRequest::File { path } => {
                        let root = root.as_deref().ok_or(AttachError::NoProject)?;
                        attachments.push(attachments::read_file(root, &path)?);
                    }
                    AttachRequest::Image { blob, name } => {
                        let bytes = store
                            .blob(blob)
                            .map_err(|e| AttachError::Store(e.to_string()))?
                            .ok_or(AttachError::ImageMissing)?;
                        let mime_type = attachments::check_image(&bytes)?.to_owned();
                        let size = bytes.len() as u64;
                        attachments.push(Attachment::Image { blob, mime_type, bytes: size, name });
                        blobs.push(bytes);
                    }
                }
            }
            Ok((attachments, blobs))
        };
        let read = tokio::task::spawn_blocking(read)
            .await
            .map_err(|e| AttachError::Io { path: String::new(), reason: e.to_string() })?;
        Ok(read?)
    }

    /// Stores an image to be attached to a message: PNG, JPEG or WebP by its first bytes, at
    /// most `limits::IMAGE_BYTES`. Storing the same image twice stores it once.
    pub async fn store_image(&self, bytes: Vec<u8>) -> Result<StoredImage, AgentError> {
        let mime_type = attachments::check_image(&bytes)?.to_owned();
        let size = bytes.len() as u64;
        let hashes = self
            .shared
            .engine
            .store()
            .put_blobs(vec![bytes])
            .await
            .map_err(|e| AttachError::Store(e.to_string()))?;
        let blob = hashes.into_iter().next().ok_or_else(|| AttachError::Store("no hash came back".into()))?;
        Ok(StoredImage { blob, mime_type, bytes: size })
    }

    /// A stored image's bytes and type, for a thumbnail. Only bytes that are a PNG, JPEG or
    /// WebP image come back, whatever the blob holds, so nothing else is ever shown as one.
    pub fn image(&self, blob: ContentHash) -> Result<(Vec<u8>, &'static str), AgentError> {
        let bytes = self
            .shared
            .engine
            .store()
            .blob(blob)
            .map_err(|e| AttachError::Store(e.to_string()))?
            .ok_or(AttachError::ImageMissing)?;
        let mime_type = attachments::image_type(&bytes).ok_or(AttachError::NotAnImage)?;
        Ok((bytes, mime_type))
    }

    /// The files of the thread's project that match `query`, for the `@` list: best first, at
    /// most `attachments::LIST_LIMIT`; `None` when the thread belongs to no project.
    pub async fn project_files(
        &self,
        thread_id: ThreadId,
        query: String,
    ) -> Result<Option<Vec<String>>, AgentError> {
        let Some(root) = self.project_root(thread_id)? else {
            return Ok(None);
        };
        let files = tokio::task::spawn_blocking(move || {
            attachments::project_files(&root, &query, attachments::LIST_LIMIT)
        })
        .await
        .map_err(|e| AttachError::Io { path: String::new(), reason: e.to_string() })?;
        Ok(Some(files))
    }

    /// Goes on from a run that stopped at its turn limit with the model still working: a new run
    /// in the same thread, which sends the model the thread as it stands. Refused for any other
    /// run, and when the thread has a newer run (someone went on already).
    pub async fn continue_run(&self, run_id: RunId) -> Result<RunId, AgentError> {
        self.shared.engine.recovered().map_err(AgentError::NotRecovered)?;
        // One at a time on this engine: a second "Continue" (a double click) sees the run the
        // first started, so it is refused instead of forking the thread.
        let continuing = self.shared.engine.extension::<Continuing>();
        let _one_at_a_time = continuing.0.lock().await;
        let view = self.shared.engine.run_view(run_id).map_err(|_| AgentError::UnknownRun(run_id))?;
        let run = view.run.as_ref().ok_or(AgentError::UnknownRun(run_id))?;
        if !view.stopped_at_turn_limit {
            return Err(AgentError::NotContinuable(run_id));
        }
        let thread_id = run.thread_id;
        let newer = self.shared.engine.with_state(|s| {
            s.runs
                .values()
                .any(|r| r.thread_id == thread_id && r.id != run_id && r.started_at >= run.started_at)
        });
        if newer {
            return Err(AgentError::NotContinuable(run_id));
        }
        let correlation = Uuid::now_v7();
        let ctx = DispatchContext { correlation_id: Some(correlation), ..Default::default() };
        let new_run = RunId::new();
        let agent_name = "coder".to_string();
        self.shared
            .engine
            .dispatch_with(Command::StartRun { run_id: new_run, thread_id, agent_name }, ctx)
            .await?;
        self.spawn(new_run, correlation)?;
        Ok(new_run)
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

    /// The project root a thread's runs work in; `None` for a thread without a project.
    pub fn project_root(&self, thread_id: ThreadId) -> Result<Option<PathBuf>, AgentError> {
        let engine = &self.shared.engine;
        let Some(project) = engine.with_state(|s| s.threads.get(&thread_id)?.project_id) else {
            return Ok(None);
        };
        match crate::projects::root(engine, project) {
            Ok(root) => Ok(Some(root)),
            Err(crate::projects::ProjectError::Folder { path, reason }) => {
                Err(AgentError::ProjectFolder(path, reason))
            }
            Err(_) => Ok(None),
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
