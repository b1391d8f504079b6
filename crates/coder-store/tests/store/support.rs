//! Temp stores, event builders and raw access to the redb file for the tests.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use coder_domain::*;
use coder_store::{AppendRequest, EventStore, ExpectedVersion, STORE_FILE};
use tempfile::TempDir;

/// A fresh store in its own temporary directory; keep the directory alive as long as the store.
pub fn temp_store() -> (TempDir, EventStore) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = EventStore::open(store_path(&dir)).expect("a new store opens");
    (dir, store)
}

/// Where `temp_store` puts the store file.
pub fn store_path(dir: &TempDir) -> PathBuf {
    dir.path().join(STORE_FILE)
}

/// Closes `store` and opens the same file again.
pub fn reopen(store: EventStore) -> EventStore {
    let path = store.path().to_path_buf();
    store.close();
    EventStore::open(&path).expect("a closed store opens again")
}

/// A fixed point in time, `second` seconds into the test minute.
pub fn at(second: u32) -> DateTime<Utc> {
    format!("2026-03-04T05:06:{:02}.000001Z", second % 60).parse().expect("a valid timestamp")
}

pub fn thread_created(thread: ThreadId) -> DomainEvent {
    DomainEvent::ThreadCreated {
        thread_id: thread,
        title: "a thread".into(),
        timestamp: at(0),
        project_id: None,
    }
}

pub fn user_message(thread: ThreadId, text: &str) -> DomainEvent {
    DomainEvent::MessageAdded {
        thread_id: thread,
        message_id: MessageId::new(),
        content: text.into(),
        role: Role::User,
        tool_uses: SmallVec::new(),
        timestamp: at(1),
    }
}

pub fn run_started(run: RunId, thread: ThreadId) -> DomainEvent {
    DomainEvent::RunStarted { run_id: run, thread_id: thread, agent_name: "coder".into(), timestamp: at(2) }
}

pub fn project_created(project: ProjectId) -> DomainEvent {
    DomainEvent::ProjectCreated {
        project_id: project,
        name: "p".into(),
        path: "/tmp/p".into(),
        timestamp: at(3),
    }
}

/// A file change from `before` to `after`; its contents must travel as the append's blobs.
pub fn file_modified(project: ProjectId, path: &str, before: &[u8], after: &[u8]) -> DomainEvent {
    DomainEvent::FileChanged {
        project_id: project,
        file_id: FileId::for_path(project, path),
        path: path.into(),
        change_type: FileChangeType::Modified {
            before: ContentHash::of(before),
            after: ContentHash::of(after),
        },
        timestamp: at(4),
        run_id: None,
    }
}

/// `n` user messages in `thread`, as new events.
pub fn messages(thread: ThreadId, n: usize) -> Vec<NewEvent> {
    (0..n).map(|i| NewEvent::new(user_message(thread, &format!("message {i}")))).collect()
}

/// Appends and expects success.
#[track_caller]
pub fn append(
    store: &EventStore,
    stream: StreamId,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
) -> Vec<EventEnvelope> {
    store
        .append_blocking(AppendRequest::new(stream, expected, events))
        .unwrap_or_else(|e| panic!("append to {stream} ({expected:?}) must succeed: {e}"))
}

/// Every stored event, in sequence order.
#[track_caller]
pub fn all_events(store: &EventStore) -> Vec<EventEnvelope> {
    store.read_from(1, usize::MAX).expect("the log reads")
}

pub fn sequences(envelopes: &[EventEnvelope]) -> Vec<u64> {
    envelopes.iter().map(|e| e.sequence).collect()
}

/// Runs `f` on a redb handle of a store file that no `EventStore` holds open.
pub fn with_raw_db<T>(path: &Path, f: impl FnOnce(&redb::Database) -> T) -> T {
    let db = redb::Database::create(path).expect("the store file opens with redb");
    f(&db)
}

/// Writes `write` in one raw redb write transaction on a closed store file.
pub fn raw_write(path: &Path, write: impl FnOnce(&redb::WriteTransaction)) {
    with_raw_db(path, |db| {
        let txn = db.begin_write().expect("a raw write transaction");
        write(&txn);
        txn.commit().expect("the raw write commits");
    });
}

/// Polls a future to completion on this thread (the store's async API needs no runtime).
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);

    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }

    let mut future = std::pin::pin!(future);
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::park();
    }
}
