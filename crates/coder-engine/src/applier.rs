//! The applier: one thread that follows the store's subscription and folds every committed
//! event, in sequence order, into the write model, the thread list and the loaded chat views;
//! then tells subscribers what changed and takes snapshots when they are due.

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use coder_domain::{ChatView, EventEnvelope, Projection, StreamId, ThreadId, ThreadList};
use coder_store::SnapshotWrite;
use serde::Serialize;

use crate::changes::ViewChange;
use crate::chats::CachedChat;
use crate::engine::{Inner, Model, GLOBAL_KEY};
use crate::snapshot_codec;
use crate::write_model::WriteModel;

/// Events applied under one lock at most.
const APPLY_BATCH: usize = 256;

/// How a chat snapshot is written: the same shape as `chats::ChatSnapshot`, borrowing the view.
#[derive(Serialize)]
struct ChatSnapshotRef<'a> {
    thread_version: u64,
    view: &'a ChatView,
}

/// Starts the applier: it loads the write model, then follows the log. `ready_when_loaded` says
/// whether loading makes the engine ready (no start-up recovery to wait for).
pub(crate) fn spawn(inner: Arc<Inner>, ready_when_loaded: bool) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("coder-engine-applier".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
            match runtime {
                Ok(runtime) => runtime.block_on(async {
                    let Some(from) = load(&inner) else { return };
                    if ready_when_loaded {
                        inner.ready.advance(1);
                    }
                    follow(&inner, from).await;
                    let clean = inner.snapshot_on_stop.load(std::sync::atomic::Ordering::Acquire);
                    if clean && inner.store.read_only_reason().is_none() {
                        let writes = final_snapshots(&mut inner.model());
                        save(&inner, writes).await;
                    }
                }),
                Err(e) => tracing::error!(error = %e, "cannot start the applier"),
            }
            inner.cursor.stop();
            inner.loaded.stop();
            inner.ready.stop();
        })
        .expect("spawning the applier thread")
}

/// Loads the write model into the engine; returns the first sequence to follow from.
fn load(inner: &Inner) -> Option<u64> {
    match crate::engine::restore_write(&inner.store) {
        Ok((write, applied)) => {
            let mut model = inner.model();
            model.write = write;
            model.applied = applied;
            drop(model);
            inner.cursor.advance(applied);
            inner.loaded.advance(1);
            Some(applied + 1)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot load the write model; the engine stops");
            None
        }
    }
}

async fn follow(inner: &Inner, from: u64) {
    let mut subscription = inner.store.subscribe(from);
    loop {
        let first = tokio::select! {
            _ = inner.stop.notified() => return,
            next = subscription.recv() => next,
        };
        let mut batch = match first {
            Ok(Some(envelope)) => vec![envelope],
            Ok(None) => return,
            Err(
                e @ (coder_store::ReadError::Decode { .. }
                | coder_store::ReadError::Damaged { .. }
                | coder_store::ReadError::ChecksumMissing { .. }
                | coder_store::ReadError::Unreadable(_)),
            ) => {
                // A record that cannot be decoded, or is damaged, will not read on a retry
                // either: stop, so dispatches waiting to be applied are told instead of waiting
                // forever, and damaged data is never applied.
                tracing::error!(error = %e, "cannot apply the log; the engine stops");
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the log; retrying");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        while batch.len() < APPLY_BATCH {
            match subscription.try_recv() {
                Ok(Some(envelope)) => batch.push(envelope),
                _ => break,
            }
        }
        let (changes, writes, last) = {
            let mut model = inner.model();
            let mut changes = Vec::new();
            for envelope in &batch {
                apply(inner, &mut model, envelope, &mut changes);
            }
            let writes = std::mem::take(&mut model.pending_snapshots);
            (changes, writes, model.applied)
        };
        // Changes go out before the cursor moves, so whoever waited for a dispatch to be applied
        // finds its changes already sent.
        for change in changes {
            // Nobody listening is not a failure.
            let _no_listeners = inner.changes.send(change);
        }
        inner.cursor.advance(last);
        if inner.store.read_only_reason().is_none() {
            save(inner, writes).await;
        }
    }
}

async fn save(inner: &Inner, writes: Vec<SnapshotWrite>) {
    for write in writes {
        if let Err(e) = inner.store.save_snapshot(write).await {
            tracing::warn!(error = %e, "a snapshot was not saved; the next start replays more events");
        }
    }
}

fn apply(inner: &Inner, model: &mut Model, envelope: &EventEnvelope, changes: &mut Vec<ViewChange>) {
    let config = &inner.config;
    model.write.apply_envelope(envelope);
    // The thread list was restored before the write model and may already include this event.
    if envelope.sequence > model.threads_applied {
        model.threads_applied = envelope.sequence;
        if let Some(thread) = model.threads.apply(&envelope.event) {
            if let Some(summary) = model.threads.get(thread) {
                changes.push(ViewChange::ThreadSummary { summary: summary.clone() });
            }
        }
    }
    model.applied = envelope.sequence;
    let thread = model.write.domain.thread_of(&envelope.event);
    if let Some(thread) = thread {
        if let Some(chat) = model.chats.peek_mut(thread) {
            if let Some(change) = chat.view.apply_stored(envelope) {
                changes.push(ViewChange::Chat { thread_id: thread, sequence: envelope.sequence, change });
            }
            if envelope.stream == StreamId::Thread(thread) {
                chat.thread_version = envelope.stream_version;
            }
            chat.since_snapshot += 1;
            if chat.since_snapshot >= config.chat_snapshot_every {
                let write = chat_snapshot(thread, chat, envelope.sequence);
                model.pending_snapshots.extend(write);
                if let Some(chat) = model.chats.peek_mut(thread) {
                    chat.since_snapshot = 0;
                }
            }
        }
    }
    match envelope.stream {
        StreamId::Run(run_id) => {
            if let Some(thread_id) = thread {
                changes.push(ViewChange::Run { run_id, thread_id });
            }
        }
        StreamId::Project(project_id) => changes.push(ViewChange::Project { project_id }),
        StreamId::Thread(_) => {}
    }
    model.since_thread_list_snapshot += 1;
    if model.since_thread_list_snapshot >= config.thread_list_snapshot_every {
        model.since_thread_list_snapshot = 0;
        let write = snapshot_codec::write::<ThreadList, _>(GLOBAL_KEY, model.threads_applied, &model.threads);
        model.pending_snapshots.extend(write);
    }
    model.since_write_model_snapshot += 1;
    if model.since_write_model_snapshot >= config.write_model_snapshot_every {
        model.since_write_model_snapshot = 0;
        let write = snapshot_codec::write::<WriteModel, _>(GLOBAL_KEY, model.applied, &model.write);
        model.pending_snapshots.extend(write);
    }
}

fn chat_snapshot(thread: ThreadId, chat: &CachedChat, sequence: u64) -> Option<SnapshotWrite> {
    let value = ChatSnapshotRef { thread_version: chat.thread_version, view: &chat.view };
    snapshot_codec::write::<ChatView, _>(thread.as_uuid().as_bytes(), sequence, &value)
}

/// Queues a snapshot of a chat view leaving the cache, if it has events since its last one.
pub(crate) fn queue_chat_snapshot(model: &mut Model, thread: ThreadId, chat: &CachedChat) {
    if chat.since_snapshot > 0 {
        let write = chat_snapshot(thread, chat, model.applied);
        model.pending_snapshots.extend(write);
    }
}

fn global_snapshots(model: &Model) -> Vec<SnapshotWrite> {
    [
        snapshot_codec::write::<WriteModel, _>(GLOBAL_KEY, model.applied, &model.write),
        snapshot_codec::write::<ThreadList, _>(GLOBAL_KEY, model.threads_applied, &model.threads),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Everything in memory, for a clean shutdown: the next start restores without replaying.
fn final_snapshots(model: &mut Model) -> Vec<SnapshotWrite> {
    let mut writes = std::mem::take(&mut model.pending_snapshots);
    writes.extend(global_snapshots(model));
    let sequence = model.applied;
    for (thread, chat) in model.chats.iter_mut() {
        if chat.since_snapshot > 0 {
            writes.extend(chat_snapshot(*thread, chat, sequence));
        }
    }
    writes
}
