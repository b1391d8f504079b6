//! `Engine`: the one write path and the in-memory read side.
//!
//! `dispatch` decides a command against the write model, appends the events with the stream's
//! expected version, and returns once they are durable *and* applied. Projections are updated by
//! one applier thread that follows the store's subscription, so they see every event exactly
//! once, in sequence order, whoever wrote it. A version conflict (another dispatch wrote the same
//! stream in between) waits for the applier to catch up and decides once more.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

use chrono::Utc;
use coder_domain::{
    chain, decide, limits, ChatView, Command, CorrelationView, DomainError, DomainState, EventEnvelope,
    ProjectFiles, ProjectId, Projection, Run, RunId, RunView, StreamId, ThreadFilter, ThreadId, ThreadList,
    ThreadSummary,
};
use coder_store::{AppendError, AppendRequest, EventStore, ExpectedVersion, STORE_FILE};
use tokio::sync::{broadcast, Notify};
use uuid::Uuid;

use crate::applier;
use crate::changes::ViewChange;
use crate::chats::{self, ChatCache, PastChat};
use crate::cursor::AppliedCursor;
use crate::error::{DispatchError, EngineError, QueryError};
use crate::recovery;
use crate::runs;
use crate::snapshot_codec;
use crate::write_model::WriteModel;

/// Snapshot key of the store-wide projections (write model, thread list).
pub(crate) const GLOBAL_KEY: &[u8] = b"";

/// Tuning knobs; the defaults suit the desktop app.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Snapshot a loaded chat view after this many of its events.
    pub chat_snapshot_every: u64,
    /// Snapshot the thread list after this many events in all. It is small and is what a start
    /// shows first, so it is snapshotted often.
    pub thread_list_snapshot_every: u64,
    /// Snapshot the write model after this many events in all. It is large and loads in the
    /// background at start, so it is snapshotted rarely: serializing it holds up the applier.
    pub write_model_snapshot_every: u64,
    /// Chat views kept in memory.
    pub chat_cache_size: usize,
    /// Complete interrupted messages and fail interrupted runs at start-up.
    pub recover: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            chat_snapshot_every: 1000,
            thread_list_snapshot_every: 10_000,
            write_model_snapshot_every: 100_000,
            chat_cache_size: 16,
            recover: true,
        }
    }
}

/// Where a dispatched command's events sit causally, and what goes with them.
#[derive(Debug, Clone, Default)]
pub struct DispatchContext {
    /// The correlation to join (a run); a new one when `None`.
    pub correlation_id: Option<Uuid>,
    /// The event that caused this command.
    pub causation_id: Option<Uuid>,
    /// Metadata for every event of the command.
    pub metadata: BTreeMap<String, String>,
    /// Contents the events refer to by hash, stored in the same transaction.
    pub blobs: Vec<Vec<u8>>,
}

/// What the engine keeps in memory; guarded by one mutex.
pub(crate) struct Model {
    pub write: WriteModel,
    pub threads: ThreadList,
    pub chats: ChatCache,
    /// The last sequence applied to the write model and the chat views.
    pub applied: u64,
    /// The last sequence the thread list includes (it is restored before the write model).
    pub threads_applied: u64,
    /// Events since the thread list's and the write model's last snapshots.
    pub since_thread_list_snapshot: u64,
    pub since_write_model_snapshot: u64,
    /// Snapshots serialized under the lock, written by the applier after it releases it.
    pub pending_snapshots: Vec<coder_store::SnapshotWrite>,
}

pub(crate) struct Inner {
    pub store: EventStore,
    pub model: Mutex<Model>,
    pub cursor: AppliedCursor,
    /// Reaches 1 once the write model is loaded.
    pub loaded: AppliedCursor,
    /// Reaches 1 once the write model is loaded and start-up recovery is done: what every
    /// operation but the thread list waits for.
    pub ready: Arc<AppliedCursor>,
    pub changes: broadcast::Sender<ViewChange>,
    /// The past chat view last asked for (see `Engine::past_chat_view`).
    pub past_chat: PastChat,
    pub config: EngineConfig,
    pub stop: Notify,
    /// Set by `close`: the applier snapshots everything in memory before it stops.
    pub snapshot_on_stop: AtomicBool,
    pub applier: Mutex<Option<JoinHandle<()>>>,
    /// The start-up recovery thread, joined at shutdown: it holds the store, which must be
    /// closed cleanly before the process exits (or the next start has to repair the file).
    pub recovery: Mutex<Option<JoinHandle<()>>>,
    /// One value of each type that a layer above keeps per engine (see `Engine::extension`).
    pub extensions: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    /// Set once start-up recovery has ended everything that was under way (see `recovered`).
    pub recovered: AtomicBool,
    /// Why it has not, when it was tried and failed.
    pub recovery_error: Mutex<Option<String>>,
}

impl Inner {
    pub fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// How often a command is decided again when another writer appended to its stream between
/// its decision and its append (a person's approval while the runner records the next step).
/// Each retry first waits until everything stored is applied, so it decides on fresh state.
const CONFLICT_RETRIES: usize = 8;

/// The application service. Cheap to clone; when the last clone is dropped the applier stops
/// (without the shutdown snapshots `close` takes) and the store is released.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
    /// Shared by every handle given out; `None` for the recovery's own handle, so that it does
    /// not keep the engine open once everyone else has let go.
    _lifetime: Option<Arc<Lifetime>>,
    /// Whether operations wait for `ready`; false only for the recovery's own handle, which
    /// runs before the engine is ready.
    gated: bool,
}

/// Stops the applier when the last `Engine` clone goes away. The applier holds `Inner`, so
/// `Inner` alone cannot notice.
struct Lifetime {
    inner: Arc<Inner>,
}

impl Drop for Lifetime {
    fn drop(&mut self) {
        self.inner.stop.notify_one();
        if let Some(handle) = self.inner.applier.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _applier_panicked = handle.join();
        }
        // With the applier stopped, recovery's dispatches fail at once and it ends.
        if let Some(handle) = self.inner.recovery.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _recovery_panicked = handle.join();
        }
    }
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("store", &self.inner.store).finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the store in `data_dir` with the default configuration.
    pub fn open(data_dir: impl AsRef<Path>) -> Result<Self, EngineError> {
        Self::open_with(data_dir, EngineConfig::default())
    }

    /// Opens the store in `data_dir` and restores the thread list (its snapshot plus the events
    /// since), then returns: the thread list can be shown at once. The write model loads in the
    /// background, and then — unless the store is read-only — start-up recovery finishes what a
    /// crash left unfinished; every other operation waits until both are done.
    pub fn open_with(data_dir: impl AsRef<Path>, config: EngineConfig) -> Result<Self, EngineError> {
        crate::data_dir::make_private(data_dir.as_ref())
            .map_err(|e| EngineError::DataDir(data_dir.as_ref().display().to_string(), e.to_string()))?;
        let path: PathBuf = data_dir.as_ref().join(STORE_FILE);
        let store = EventStore::open(&path)?;
        let (threads, threads_applied) = restore_threads(&store)?;
        let (changes, _) = broadcast::channel(8192);
        let recover = config.recover && store.read_only_reason().is_none();
        let inner = Arc::new(Inner {
            cursor: AppliedCursor::new(0),
            loaded: AppliedCursor::new(0),
            ready: Arc::new(AppliedCursor::new(0)),
            model: Mutex::new(Model {
                write: WriteModel::default(),
                threads,
                chats: ChatCache::new(config.chat_cache_size),
                applied: 0,
                threads_applied,
                since_thread_list_snapshot: 0,
                since_write_model_snapshot: 0,
                pending_snapshots: Vec::new(),
            }),
            store,
            changes,
            past_chat: PastChat::default(),
            config,
            stop: Notify::new(),
            snapshot_on_stop: AtomicBool::new(false),
            applier: Mutex::new(None),
            recovery: Mutex::new(None),
            extensions: Mutex::new(HashMap::new()),
            recovered: AtomicBool::new(false),
            recovery_error: Mutex::new(None),
        });
        let handle = applier::spawn(inner.clone(), !recover);
        *inner.applier.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        let engine =
            Self { _lifetime: Some(Arc::new(Lifetime { inner: inner.clone() })), inner, gated: true };
        if recover {
            // Recovery dispatches, which waits on the applier: a thread of its own, with a
            // handle that does not wait for the readiness it is there to bring about.
            let worker = Self { inner: engine.inner.clone(), _lifetime: None, gated: false };
            let handle = std::thread::Builder::new()
                .name("coder-engine-recovery".into())
                .spawn(move || {
                    if worker.inner.loaded.wait_blocking(1) {
                        match recovery::recover(&worker) {
                            Ok(()) => worker.inner.recovered.store(true, Ordering::SeqCst),
                            Err(e) => {
                                tracing::error!(error = %e, "start-up recovery failed; no run is carried on");
                                *worker.inner.recovery_error.lock().unwrap_or_else(|e| e.into_inner()) =
                                    Some(e.to_string());
                            }
                        }
                    }
                    // Let go of the engine before saying it is ready: whoever waited may close it.
                    let ready = worker.inner.ready.clone();
                    drop(worker);
                    ready.advance(1);
                })
                .map_err(|e| EngineError::Recovery(e.to_string()))?;
            *engine.inner.recovery.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        }
        Ok(engine)
    }

    /// Waits until the engine is ready: the write model loaded and start-up recovery done. Every
    /// operation but the thread list does this by itself; the app can use it to show progress.
    pub fn wait_until_ready(&self) {
        self.inner.ready.wait_blocking(1);
    }

    /// Whether runs may be carried on: start-up recovery has ended, on this store, everything
    /// that was under way when Coder last stopped. Until then a tool use left `Running` may have
    /// run already, so no runner may execute it. `Err` says why not: the store is read-only, the
    /// engine was opened without recovery, or recovery failed. Waits until the engine is ready.
    pub fn recovered(&self) -> Result<(), String> {
        self.wait_ready();
        if self.inner.recovered.load(Ordering::SeqCst) {
            return Ok(());
        }
        if let Some(reason) = self.read_only_reason() {
            return Err(format!("the store is read-only ({reason})"));
        }
        match self.inner.recovery_error.lock().unwrap_or_else(|e| e.into_inner()).clone() {
            Some(error) => Err(format!("start-up recovery failed ({error}); start Coder again")),
            None => Err("this store was opened without start-up recovery".into()),
        }
    }

    /// True once the engine is ready (see `wait_until_ready`).
    pub fn is_ready(&self) -> bool {
        self.inner.ready.get() >= 1
    }

    /// Waits until the engine is ready (write model loaded, recovery done).
    fn wait_ready(&self) {
        if self.gated {
            self.inner.ready.wait_blocking(1);
        }
    }

    /// Async `wait_ready`.
    async fn wait_ready_async(&self) {
        if self.gated {
            self.inner.ready.wait(1).await;
        }
    }

    pub fn store(&self) -> &EventStore {
        &self.inner.store
    }

    /// Why the store refuses writes, if it does (it is from a newer version of Coder).
    pub fn read_only_reason(&self) -> Option<&str> {
        self.inner.store.read_only_reason()
    }

    /// The last sequence applied to the projections.
    pub fn applied_sequence(&self) -> u64 {
        self.inner.cursor.get()
    }

    /// Changes to views, as events are applied. A receiver that lags should reload what it shows.
    pub fn subscribe(&self) -> broadcast::Receiver<ViewChange> {
        self.inner.changes.subscribe()
    }

    /// Decides, stores and applies a command in a new correlation.
    pub async fn dispatch(&self, command: Command) -> Result<Vec<EventEnvelope>, DispatchError> {
        self.dispatch_with(command, DispatchContext::default()).await
    }

    /// `dispatch` with an explicit causal context.
    pub async fn dispatch_with(
        &self,
        command: Command,
        ctx: DispatchContext,
    ) -> Result<Vec<EventEnvelope>, DispatchError> {
        self.wait_ready_async().await;
        for attempt in 0..=CONFLICT_RETRIES {
            let Some(request) = self.prepare(&command, &ctx)? else { return Ok(Vec::new()) };
            match self.inner.store.append(request).await {
                Ok(envelopes) => {
                    let last = envelopes.last().map_or(0, |e| e.sequence);
                    if !self.inner.cursor.wait(last).await {
                        return Err(DispatchError::Stopped);
                    }
                    return Ok(envelopes);
                }
                Err(AppendError::Conflict { .. }) if attempt < CONFLICT_RETRIES => {
                    if !self.inner.cursor.wait(self.inner.store.last_sequence()).await {
                        return Err(DispatchError::Stopped);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// `dispatch` for threads outside an async runtime.
    pub fn dispatch_blocking(&self, command: Command) -> Result<Vec<EventEnvelope>, DispatchError> {
        self.dispatch_with_blocking(command, DispatchContext::default())
    }

    /// `dispatch_with` for threads outside an async runtime.
    pub fn dispatch_with_blocking(
        &self,
        command: Command,
        ctx: DispatchContext,
    ) -> Result<Vec<EventEnvelope>, DispatchError> {
        self.wait_ready();
        for attempt in 0..=CONFLICT_RETRIES {
            let Some(request) = self.prepare(&command, &ctx)? else { return Ok(Vec::new()) };
            match self.inner.store.append_blocking(request) {
                Ok(envelopes) => {
                    let last = envelopes.last().map_or(0, |e| e.sequence);
                    if !self.inner.cursor.wait_blocking(last) {
                        return Err(DispatchError::Stopped);
                    }
                    return Ok(envelopes);
                }
                Err(AppendError::Conflict { .. }) if attempt < CONFLICT_RETRIES => {
                    if !self.inner.cursor.wait_blocking(self.inner.store.last_sequence()) {
                        return Err(DispatchError::Stopped);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Decides the command against the applied state; `None` when it changes nothing.
    fn prepare(
        &self,
        command: &Command,
        ctx: &DispatchContext,
    ) -> Result<Option<AppendRequest>, DispatchError> {
        if let Some(blob) = ctx.blobs.iter().find(|b| b.len() > limits::BLOB_BYTES) {
            let error =
                DomainError::TooLarge { what: "stored content", size: blob.len(), limit: limits::BLOB_BYTES };
            return Err(error.into());
        }
        let model = self.inner.model();
        let events = decide(&model.write.domain, command, Utc::now())?;
        let Some(first) = events.first() else { return Ok(None) };
        let stream = model.write.domain.stream_of(first).expect("a decided event belongs to a known stream");
        let expected = ExpectedVersion::Exact(model.write.version(stream));
        drop(model);
        let correlation = ctx.correlation_id.unwrap_or_else(Uuid::now_v7);
        let mut new_events = chain(events, correlation, ctx.causation_id);
        for event in &mut new_events {
            event.metadata.extend(ctx.metadata.iter().map(|(k, v)| (k.clone(), v.clone())));
            event.metadata.entry("command".into()).or_insert_with(|| command.name().into());
        }
        Ok(Some(AppendRequest::new(stream, expected, new_events).with_blobs(ctx.blobs.clone())))
    }

    /// Reads the write model (for the agent: what a run, tool use or project looks like now).
    pub fn with_state<R>(&self, f: impl FnOnce(&DomainState) -> R) -> R {
        self.wait_ready();
        f(&self.inner.model().write.domain)
    }

    /// The one `T` of this engine, made with `T::default()` the first time it is asked for. A
    /// layer above keeps here what must exist once per store however many handles it makes —
    /// the agent's registry of runners, so that two agents on one engine can never drive the
    /// same run twice. `T` must not hold an `Engine`: that would keep the engine open forever.
    pub fn extension<T: Any + Send + Sync + Default>(&self) -> Arc<T> {
        let mut extensions = self.inner.extensions.lock().unwrap_or_else(|e| e.into_inner());
        let value = extensions.entry(TypeId::of::<T>()).or_insert_with(|| Arc::new(T::default())).clone();
        value.downcast::<T>().expect("the value stored under T's TypeId is a T")
    }

    /// The correlation id of an open run's events; `None` for an unknown or finished run.
    pub fn run_correlation(&self, run: RunId) -> Option<Uuid> {
        self.wait_ready();
        self.inner.model().write.run_correlation.get(&run).copied()
    }

    /// The threads a filter selects, most recently active first.
    pub fn threads(&self, filter: &ThreadFilter) -> Vec<ThreadSummary> {
        self.inner.model().threads.list(filter).into_iter().cloned().collect()
    }

    pub fn thread(&self, id: ThreadId) -> Option<ThreadSummary> {
        self.inner.model().threads.get(id).cloned()
    }

    /// What a read of a thread's events needs, copied out under the lock: the runs of the thread
    /// and the sequence applied so far. The read itself then runs without the lock, so the
    /// applier (and every dispatch waiting on it) is never held up by a long thread's disk read.
    fn thread_read(&self, thread: ThreadId) -> Result<(chats::ThreadRuns, u64), QueryError> {
        self.wait_ready();
        let model = self.inner.model();
        if model.threads.get(thread).is_none() {
            return Err(QueryError::NotFound { kind: "thread", id: thread.to_string() });
        }
        Ok((chats::runs_of(&model.write, thread), model.applied))
    }

    /// Reads a thread's chat view, loading it into the cache if needed.
    pub fn with_chat<R>(&self, thread: ThreadId, f: impl FnOnce(&ChatView) -> R) -> Result<R, QueryError> {
        self.with_chat_applied(thread, |view, _| f(view))
    }

    /// Reads a thread's chat view together with the sequence it reflects: every event up to it
    /// is in the view, and every later change to the view reaches subscribers as a
    /// `ViewChange::Chat` with a greater sequence. A view that follows changes starts there.
    pub fn with_chat_applied<R>(
        &self,
        thread: ThreadId,
        f: impl FnOnce(&ChatView, u64) -> R,
    ) -> Result<R, QueryError> {
        self.wait_ready();
        {
            let mut model = self.inner.model();
            let applied = model.applied;
            if let Some(chat) = model.chats.get_mut(thread) {
                return Ok(f(&chat.view, applied));
            }
        }
        // Load outside the lock, as of the sequence applied when we looked…
        let (runs, loaded_at) = self.thread_read(thread)?;
        let (mut view, mut version) = chats::load(&self.inner.store, &runs, thread, loaded_at)?;
        let mut model = self.inner.model();
        if model.chats.get_mut(thread).is_none() {
            // …then catch up with what the applier applied meanwhile (usually nothing).
            if model.applied > loaded_at {
                let runs = chats::runs_of(&model.write, thread);
                for envelope in
                    chats::thread_tail(&self.inner.store, &runs, thread, loaded_at, version, model.applied)?
                {
                    view.apply_stored(&envelope);
                    if envelope.stream == StreamId::Thread(thread) {
                        version = envelope.stream_version;
                    }
                }
            }
            if let Some((evicted, chat)) = model.chats.insert(thread, view, version) {
                applier::queue_chat_snapshot(&mut model, evicted, &chat);
            }
        }
        let applied = model.applied;
        let chat = model.chats.get_mut(thread).expect("loaded above");
        Ok(f(&chat.view, applied))
    }

    /// A copy of a thread's chat view now.
    pub fn chat_view(&self, thread: ThreadId) -> Result<ChatView, QueryError> {
        self.with_chat(thread, ChatView::clone)
    }

    /// The thread's chat view as it was right after `sequence` (time travel).
    pub fn chat_view_at(&self, thread: ThreadId, sequence: u64) -> Result<ChatView, QueryError> {
        let (runs, applied) = self.thread_read(thread)?;
        Ok(chats::load(&self.inner.store, &runs, thread, sequence.min(applied))?.0)
    }

    /// The thread's chat view as it was right after `sequence`, as `chat_view_at` builds it, but
    /// shared and kept: asked for again (the next page of the same past chat), the kept view is
    /// handed out without reading the log. A sequence not yet applied means the view now.
    pub fn past_chat_view(&self, thread: ThreadId, sequence: u64) -> Result<Arc<ChatView>, QueryError> {
        self.wait_ready();
        let at = sequence.min(self.inner.model().applied);
        self.inner.past_chat.get_or_build(thread, at, || {
            let (runs, _) = self.thread_read(thread)?;
            Ok(chats::load(&self.inner.store, &runs, thread, at)?.0)
        })
    }

    /// Every event of a thread (its own and its runs'), in order: the timeline.
    pub fn thread_events(&self, thread: ThreadId) -> Result<Vec<EventEnvelope>, QueryError> {
        let (runs, applied) = self.thread_read(thread)?;
        chats::thread_tail(&self.inner.store, &runs, thread, 0, 0, applied)
    }

    /// The `limit` newest runs of a thread, newest first (the run panel's list); none for an
    /// unknown thread.
    pub fn thread_runs(&self, thread: ThreadId, limit: usize) -> Vec<Run> {
        self.wait_ready();
        runs::newest(&self.inner.model().write, thread, limit)
    }

    /// One run, replayed from its stream.
    pub fn run_view(&self, run: RunId) -> Result<RunView, QueryError> {
        let events = self.inner.store.read_stream(StreamId::Run(run), 1)?;
        if events.is_empty() {
            return Err(QueryError::NotFound { kind: "run", id: run.to_string() });
        }
        let mut view = RunView::new(run);
        events.iter().for_each(|e| view.apply_envelope(e));
        Ok(view)
    }

    /// The file changes of a project, replayed from its stream.
    pub fn project_files(&self, project: ProjectId) -> Result<ProjectFiles, QueryError> {
        let events = self.inner.store.read_stream(StreamId::Project(project), 1)?;
        if events.is_empty() {
            return Err(QueryError::NotFound { kind: "project", id: project.to_string() });
        }
        let mut view = ProjectFiles::new(project);
        events.iter().for_each(|e| view.apply_envelope(e));
        Ok(view)
    }

    /// The events of one correlation (a run, an action), in order.
    pub fn correlation(&self, id: Uuid) -> Result<CorrelationView, QueryError> {
        let mut view = CorrelationView::new(id);
        self.inner.store.read_correlation(id)?.iter().for_each(|e| view.apply_envelope(e));
        Ok(view)
    }

    /// Stops the applier, snapshots every projection in memory and releases the store.
    pub fn close(self) {
        self.inner.snapshot_on_stop.store(true, Ordering::Release);
        // Dropping the last clone stops the applier; other clones keep it running.
    }
}

/// The thread list from its snapshot plus every event since.
fn restore_threads(store: &EventStore) -> Result<(ThreadList, u64), EngineError> {
    let (mut threads, from) =
        match snapshot_codec::read::<ThreadList, ThreadList>(store, GLOBAL_KEY, u64::MAX) {
            Ok(Some((sequence, threads))) => (threads, sequence),
            _ => (ThreadList::new(), 0),
        };
    let mut applied = from;
    store.scan(from + 1, |envelope| {
        threads.apply_envelope(&envelope);
        applied = envelope.sequence;
        std::ops::ControlFlow::Continue(())
    })?;
    Ok((threads, applied))
}

/// The write model from its snapshot plus every event since; the sequence it includes.
pub(crate) fn restore_write(store: &EventStore) -> Result<(WriteModel, u64), coder_store::ReadError> {
    let (mut write, from) = match snapshot_codec::read::<WriteModel, WriteModel>(store, GLOBAL_KEY, u64::MAX)
    {
        Ok(Some((sequence, write))) => (write, sequence),
        _ => (WriteModel::default(), 0),
    };
    let mut applied = from;
    store.scan(from + 1, |envelope| {
        write.apply_envelope(&envelope);
        applied = envelope.sequence;
        std::ops::ControlFlow::Continue(())
    })?;
    Ok((write, applied))
}
