//! Chat views: loaded on demand from the newest snapshot plus the thread's tail, kept in a
//! small least-recently-used cache, and rebuilt at any past sequence for time travel.
//!
//! A thread's events are its own stream plus the streams of its runs (tool uses, steps). The
//! tail after a snapshot is read through the stream index — the thread stream from the version
//! the snapshot had, and only those runs whose latest event is newer than the snapshot — so
//! opening a long thread costs its snapshot plus the events since, not the whole log.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use coder_domain::{ChatView, EventEnvelope, Projection, RunId, StreamId, ThreadId};
use coder_store::EventStore;
use serde::{Deserialize, Serialize};

use crate::error::QueryError;
use crate::snapshot_codec;
use crate::write_model::WriteModel;

/// A chat view as snapshotted: with the thread stream's version it includes.
#[derive(Serialize, Deserialize)]
pub(crate) struct ChatSnapshot {
    pub thread_version: u64,
    pub view: ChatView,
}

/// A loaded chat view and what the cache needs to keep it current.
pub(crate) struct CachedChat {
    pub view: ChatView,
    /// Version of the thread stream the view includes.
    pub thread_version: u64,
    /// Events applied since the last snapshot of this view.
    pub since_snapshot: u64,
    last_used: u64,
}

/// Loaded chat views, at most `capacity`, the least recently used evicted first.
pub(crate) struct ChatCache {
    capacity: usize,
    entries: HashMap<ThreadId, CachedChat>,
    clock: u64,
}

impl ChatCache {
    pub fn new(capacity: usize) -> Self {
        Self { capacity: capacity.max(1), entries: HashMap::new(), clock: 0 }
    }

    pub fn get_mut(&mut self, thread: ThreadId) -> Option<&mut CachedChat> {
        self.clock += 1;
        let clock = self.clock;
        let chat = self.entries.get_mut(&thread)?;
        chat.last_used = clock;
        Some(chat)
    }

    /// The cached view without marking it used (the applier updating it is not a use).
    pub fn peek_mut(&mut self, thread: ThreadId) -> Option<&mut CachedChat> {
        self.entries.get_mut(&thread)
    }

    /// Adds a view; returns the evicted one, which the caller may snapshot.
    pub fn insert(
        &mut self,
        thread: ThreadId,
        view: ChatView,
        thread_version: u64,
    ) -> Option<(ThreadId, CachedChat)> {
        self.clock += 1;
        let mut evicted = None;
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&thread) {
            if let Some(oldest) = self.entries.iter().min_by_key(|(_, c)| c.last_used).map(|(t, _)| *t) {
                evicted = self.entries.remove(&oldest).map(|c| (oldest, c));
            }
        }
        self.entries
            .insert(thread, CachedChat { view, thread_version, since_snapshot: 0, last_used: self.clock });
        evicted
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&ThreadId, &mut CachedChat)> {
        self.entries.iter_mut()
    }
}

/// The past chat view last asked for: one thread as of one sequence (time travel). Scrolling a
/// past chat asks for page after page of the same view; keeping the last one rebuilds it from
/// the log once, not per page. Only one is kept: a person looks at one past moment at a time.
#[derive(Default)]
pub(crate) struct PastChat(Mutex<Option<(ThreadId, u64, Arc<ChatView>)>>);

impl PastChat {
    /// The view of `thread` as of `sequence`: the kept one when it is that view, else the one
    /// `build` makes, which is then kept in its place. `build` runs without the lock, so a slow
    /// rebuild holds up no other reader; when it fails, the view kept before stays.
    pub fn get_or_build(
        &self,
        thread: ThreadId,
        sequence: u64,
        build: impl FnOnce() -> Result<ChatView, QueryError>,
    ) -> Result<Arc<ChatView>, QueryError> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some((kept_thread, kept_at, view)) = kept {
            if kept_thread == thread && kept_at == sequence {
                return Ok(view);
            }
        }
        let view = Arc::new(build()?);
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((thread, sequence, view.clone()));
        Ok(view)
    }
}

/// A thread's runs with the sequence of each one's latest event: what a tail read needs from the
/// write model, copied out so that the read itself happens without the engine's lock.
pub(crate) type ThreadRuns = Vec<(RunId, u64)>;

/// The runs of `thread` as the write model knows them now.
pub(crate) fn runs_of(write: &WriteModel, thread: ThreadId) -> ThreadRuns {
    write
        .thread_runs
        .get(&thread)
        .into_iter()
        .flatten()
        .map(|run| (*run, write.run_last_sequence.get(run).copied().unwrap_or(0)))
        .collect()
}

/// The thread's events with `after < sequence <= upto`, in order. `thread_version` is the
/// thread stream's version at `after`.
pub(crate) fn thread_tail(
    store: &EventStore,
    runs: &ThreadRuns,
    thread: ThreadId,
    after: u64,
    thread_version: u64,
    upto: u64,
) -> Result<Vec<EventEnvelope>, QueryError> {
    let mut sequences: Vec<u64> = store
        .stream_sequences(StreamId::Thread(thread), thread_version + 1)?
        .into_iter()
        .filter(|s| *s > after && *s <= upto)
        .collect();
    for (run, last) in runs {
        if *last > after {
            sequences.extend(
                store
                    .stream_sequences(StreamId::Run(*run), 1)?
                    .into_iter()
                    .filter(|s| *s > after && *s <= upto),
            );
        }
    }
    sequences.sort_unstable();
    Ok(store.read_sequences(sequences)?)
}

/// The chat view of `thread` as of sequence `at`, from the newest snapshot at or before it.
/// Returns the view and the thread stream version it includes.
pub(crate) fn load(
    store: &EventStore,
    runs: &ThreadRuns,
    thread: ThreadId,
    at: u64,
) -> Result<(ChatView, u64), QueryError> {
    let key = thread.as_uuid().as_bytes();
    let (after, mut thread_version, mut view) =
        match snapshot_codec::read::<ChatView, ChatSnapshot>(store, key, at)? {
            Some((sequence, snapshot)) => (sequence, snapshot.thread_version, snapshot.view),
            None => (0, 0, ChatView::new(thread)),
        };
    for envelope in thread_tail(store, runs, thread, after, thread_version, at)? {
        view.apply_envelope(&envelope);
        if envelope.stream == StreamId::Thread(thread) {
            thread_version = envelope.stream_version;
        }
    }
    Ok((view, thread_version))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// A `build` that counts its calls and makes an empty view of `thread`.
    fn counted(builds: &Cell<u32>, thread: ThreadId) -> impl FnOnce() -> Result<ChatView, QueryError> + '_ {
        move || {
            builds.set(builds.get() + 1);
            Ok(ChatView::new(thread))
        }
    }

    #[test]
    fn the_past_view_asked_for_again_is_not_rebuilt() {
        let (past, builds, thread) = (PastChat::default(), Cell::new(0), ThreadId::new());
        let first = past.get_or_build(thread, 7, counted(&builds, thread)).unwrap();
        let again = past.get_or_build(thread, 7, counted(&builds, thread)).unwrap();
        assert_eq!(builds.get(), 1, "the second page of the same past view reuses it");
        assert!(Arc::ptr_eq(&first, &again), "the very view kept is handed out");
    }

    #[test]
    fn another_moment_or_thread_replaces_the_kept_view() {
        let (past, builds) = (PastChat::default(), Cell::new(0));
        let (thread, other) = (ThreadId::new(), ThreadId::new());
        past.get_or_build(thread, 7, counted(&builds, thread)).unwrap();
        past.get_or_build(thread, 8, counted(&builds, thread)).unwrap();
        assert_eq!(builds.get(), 2, "another sequence of the same thread is another view");
        let view = past.get_or_build(other, 8, counted(&builds, other)).unwrap();
        assert_eq!((builds.get(), view.thread_id), (3, other), "the same sequence of another thread too");
        past.get_or_build(thread, 7, counted(&builds, thread)).unwrap();
        assert_eq!(builds.get(), 4, "only the last view is kept");
    }

    #[test]
    fn a_failed_rebuild_keeps_the_view_there_was() {
        let (past, builds, thread) = (PastChat::default(), Cell::new(0), ThreadId::new());
        past.get_or_build(thread, 7, counted(&builds, thread)).unwrap();
        let missing = || Err(QueryError::NotFound { kind: "thread", id: "gone".into() });
        assert!(past.get_or_build(thread, 9, missing).is_err(), "the error reaches the caller");
        past.get_or_build(thread, 7, counted(&builds, thread)).unwrap();
        assert_eq!(builds.get(), 1, "the failure did not replace the kept view");
    }
}
