//! `EventStore`: open, append, read, subscribe, snapshots and blobs.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use coder_domain::{ContentHash, EventEnvelope, StreamId, SCHEMA_VERSION};
use redb::{
    Database, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata,
};
use tokio::sync::{broadcast, mpsc, oneshot};
use uuid::Uuid;

use crate::codec;
use crate::error::{storage, AppendError, OpenError, ReadError};
use crate::snapshots::{self, SnapshotWrite, StoredSnapshot};
use crate::subscription::Subscription;
use crate::tables::*;
use crate::writer::{AppendRequest, Request, Writer};

/// Live events buffered per subscriber before it counts as lagging (it then catches up from the
/// store, losing nothing).
const LIVE_CAPACITY: usize = 4096;

/// State shared by the writer thread and readers.
pub(crate) struct Shared {
    /// The last committed sequence; updated after each commit, before its broadcast.
    pub(crate) last_sequence: AtomicU64,
    /// The live channel. The writer holds its only strong sender, so when the writer stops (the
    /// store closes) or never ran (read-only), every subscription sees the channel closed and
    /// ends after the stored events instead of waiting forever.
    pub(crate) live: broadcast::WeakSender<Arc<EventEnvelope>>,
}

enum Db {
    Writable(Arc<Database>),
    ReadOnly(ReadOnlyDatabase),
}

impl Db {
    fn begin_read(&self) -> Result<ReadTransaction, redb::TransactionError> {
        match self {
            Self::Writable(db) => db.begin_read(),
            Self::ReadOnly(db) => db.begin_read(),
        }
    }
}

struct Inner {
    path: PathBuf,
    db: Db,
    shared: Arc<Shared>,
    requests: Mutex<Option<mpsc::UnboundedSender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    read_only: Option<String>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.requests.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _writer_panicked = handle.join();
        }
    }
}

/// The event log. Cheap to clone; all clones share one writer.
#[derive(Clone)]
pub struct EventStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EventStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

/// Counts and sizes for `coder stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StoreStats {
    pub events: u64,
    pub last_sequence: u64,
    pub threads: u64,
    pub runs: u64,
    pub projects: u64,
    pub blobs: u64,
    pub snapshots: u64,
    pub bytes_on_disk: u64,
    pub format_version: u64,
    pub read_only: Option<String>,
}

impl EventStore {
    /// Opens the store file at `path`, creating it (and its directory) if missing. A store
    /// written by a newer version of Coder opens read-only, with the reason in
    /// `read_only_reason`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| OpenError::CreateDir { path: dir.into(), source })?;
        }
        let fail = |e: redb::DatabaseError| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => OpenError::Locked { path: path.clone() },
            other => OpenError::Storage { path: path.clone(), reason: other.to_string() },
        };
        if path.exists() {
            // Look before writing anything: a newer store must not be touched.
            match redb::Builder::new().open_read_only(&path) {
                Ok(db) => {
                    let db = Db::ReadOnly(db);
                    if let Some(reason) = newer_reason(&db)
                        .map_err(|reason| OpenError::Storage { path: path.clone(), reason })?
                    {
                        return Ok(Self::read_only(path, db, reason));
                    }
                }
                Err(redb::DatabaseError::DatabaseAlreadyOpen) => return Err(OpenError::Locked { path }),
                // A file that needs recovery after a crash cannot open read-only; the writable
                // open below recovers it.
                Err(_) => {}
            }
        }
        let db = Arc::new(Database::create(&path).map_err(fail)?);
        if let Some(reason) = newer_reason(&Db::Writable(db.clone()))
            .map_err(|reason| OpenError::Storage { path: path.clone(), reason })?
        {
            return Ok(Self::read_only(path, Db::Writable(db), reason));
        }
        init_tables(&db).map_err(|reason| OpenError::Storage { path: path.clone(), reason })?;
        let last_sequence = last_sequence(&Db::Writable(db.clone()))
            .map_err(|e| OpenError::Storage { path: path.clone(), reason: e.to_string() })?;
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        let shared =
            Arc::new(Shared { last_sequence: AtomicU64::new(last_sequence), live: live.downgrade() });
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = Writer::new(db.clone(), shared.clone(), live, last_sequence);
        let handle = std::thread::Builder::new()
            .name("coder-store-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| OpenError::Storage { path: path.clone(), reason: e.to_string() })?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                db: Db::Writable(db),
                shared,
                requests: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(handle)),
                read_only: None,
            }),
        })
    }

    fn read_only(path: PathBuf, db: Db, reason: String) -> Self {
        tracing::warn!(path = %path.display(), %reason, "opening the store read-only");
        let last = last_sequence(&db).unwrap_or(0);
        // No writer, so no live sender: subscriptions serve the stored events and end.
        let (live, _) = broadcast::channel(1);
        Self {
            inner: Arc::new(Inner {
                path,
                db,
                shared: Arc::new(Shared { last_sequence: AtomicU64::new(last), live: live.downgrade() }),
                requests: Mutex::new(None),
                writer: Mutex::new(None),
                read_only: Some(reason),
            }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Why the store refuses writes, if it does.
    pub fn read_only_reason(&self) -> Option<&str> {
        self.inner.read_only.as_deref()
    }

    /// Stops the writer after what it has in hand and releases the file, once every clone of
    /// this store (and every subscription) is gone.
    pub fn close(self) {
        self.inner.requests.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(handle) = self.inner.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _writer_panicked = handle.join();
        }
    }

    fn submit<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, AppendError>>) -> Request,
    ) -> oneshot::Receiver<Result<T, AppendError>> {
        let (reply, rx) = oneshot::channel();
        if let Some(reason) = &self.inner.read_only {
            let _ = reply.send(Err(AppendError::ReadOnly(reason.clone())));
            return rx;
        }
        let guard = self.inner.requests.lock().unwrap_or_else(|e| e.into_inner());
        match guard.as_ref() {
            Some(tx) => {
                if let Err(mpsc::error::SendError(request)) = tx.send(make(reply)) {
                    drop(request); // the writer is gone: the dropped reply reads as Closed
                }
            }
            None => {
                let _ = reply.send(Err(AppendError::Closed));
            }
        }
        rx
    }

    /// Appends events to one stream; returns them as stored, once durable.
    pub async fn append(&self, request: AppendRequest) -> Result<Vec<EventEnvelope>, AppendError> {
        self.submit(|reply| Request::Append(request, reply)).await.unwrap_or(Err(AppendError::Closed))
    }

    /// `append` for threads outside an async runtime.
    pub fn append_blocking(&self, request: AppendRequest) -> Result<Vec<EventEnvelope>, AppendError> {
        self.submit(|reply| Request::Append(request, reply))
            .blocking_recv()
            .unwrap_or(Err(AppendError::Closed))
    }

    /// Stores contents in the blob table (once per distinct content); returns their hashes.
    pub fn put_blobs_blocking(&self, blobs: Vec<Vec<u8>>) -> Result<Vec<ContentHash>, AppendError> {
        self.submit(|reply| Request::Blobs(blobs, reply)).blocking_recv().unwrap_or(Err(AppendError::Closed))
    }

    /// Async `put_blobs_blocking`.
    pub async fn put_blobs(&self, blobs: Vec<Vec<u8>>) -> Result<Vec<ContentHash>, AppendError> {
        self.submit(|reply| Request::Blobs(blobs, reply)).await.unwrap_or(Err(AppendError::Closed))
    }

    /// Writes envelopes exactly as given; they must continue the log with no gap. Returns the
    /// last sequence.
    pub fn import_blocking(
        &self,
        envelopes: Vec<EventEnvelope>,
        blobs: Vec<Vec<u8>>,
    ) -> Result<u64, AppendError> {
        self.submit(|reply| Request::Import(envelopes, blobs, reply))
            .blocking_recv()
            .unwrap_or(Err(AppendError::Closed))
    }

    /// Saves a snapshot of a projection.
    pub fn save_snapshot_blocking(&self, write: SnapshotWrite) -> Result<(), AppendError> {
        self.submit(|reply| Request::Snapshot(write, reply))
            .blocking_recv()
            .unwrap_or(Err(AppendError::Closed))
    }

    /// Async `save_snapshot_blocking`.
    pub async fn save_snapshot(&self, write: SnapshotWrite) -> Result<(), AppendError> {
        self.submit(|reply| Request::Snapshot(write, reply)).await.unwrap_or(Err(AppendError::Closed))
    }

    /// The last committed sequence (0 for an empty store).
    pub fn last_sequence(&self) -> u64 {
        self.inner.shared.last_sequence.load(Ordering::Acquire)
    }

    fn read(&self) -> Result<ReadTransaction, ReadError> {
        self.inner.db.begin_read().map_err(ReadError::storage)
    }

    /// Calls `f` with every event from sequence `from` on, in order, until it breaks.
    pub fn scan(
        &self,
        from: u64,
        mut f: impl FnMut(EventEnvelope) -> ControlFlow<()>,
    ) -> Result<(), ReadError> {
        let txn = self.read()?;
        let events = txn.open_table(EVENTS).map_err(ReadError::storage)?;
        for entry in events.range(from..).map_err(ReadError::storage)? {
            let (seq, record) = entry.map_err(ReadError::storage)?;
            let envelope = codec::decode(record.value())
                .map_err(|source| ReadError::Decode { sequence: seq.value(), source })?;
            if f(envelope).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Up to `limit` events from sequence `from` on.
    pub fn read_from(&self, from: u64, limit: usize) -> Result<Vec<EventEnvelope>, ReadError> {
        let mut out = Vec::with_capacity(limit.min(4096));
        self.scan(from, |e| {
            out.push(e);
            if out.len() >= limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })?;
        Ok(out)
    }

    /// The events at these sequences, in the order given; missing ones are skipped.
    pub fn read_sequences(
        &self,
        sequences: impl IntoIterator<Item = u64>,
    ) -> Result<Vec<EventEnvelope>, ReadError> {
        let txn = self.read()?;
        let events = txn.open_table(EVENTS).map_err(ReadError::storage)?;
        let mut out = Vec::new();
        for seq in sequences {
            if let Some(record) = events.get(seq).map_err(ReadError::storage)? {
                out.push(
                    codec::decode(record.value())
                        .map_err(|source| ReadError::Decode { sequence: seq, source })?,
                );
            }
        }
        Ok(out)
    }

    /// The sequences of one stream's events from version `from_version` on, in order.
    pub fn stream_sequences(&self, stream: StreamId, from_version: u64) -> Result<Vec<u64>, ReadError> {
        let txn = self.read()?;
        let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
        let key = stream.to_key();
        streams
            .range((key, from_version)..=(key, u64::MAX))
            .map_err(ReadError::storage)?
            .map(|entry| entry.map(|(_, seq)| seq.value()).map_err(ReadError::storage))
            .collect()
    }

    /// One stream's events from version `from_version` on.
    pub fn read_stream(&self, stream: StreamId, from_version: u64) -> Result<Vec<EventEnvelope>, ReadError> {
        self.read_sequences(self.stream_sequences(stream, from_version)?)
    }

    /// The current version of a stream (0 if it has no events).
    pub fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
        let txn = self.read()?;
        let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
        let key = stream.to_key();
        let last = streams.range((key, 0)..=(key, u64::MAX)).map_err(ReadError::storage)?.next_back();
        Ok(match last {
            Some(entry) => entry.map_err(ReadError::storage)?.0.value().1,
            None => 0,
        })
    }

    /// The events of one correlation id, in order.
    pub fn read_correlation(&self, correlation_id: Uuid) -> Result<Vec<EventEnvelope>, ReadError> {
        let sequences: Vec<u64> = {
            let txn = self.read()?;
            let table = txn.open_table(CORRELATIONS).map_err(ReadError::storage)?;
            let id = correlation_id.as_u128();
            table
                .range((id, 0)..=(id, u64::MAX))
                .map_err(ReadError::storage)?
                .map(|entry| entry.map(|(k, _)| k.value().1).map_err(ReadError::storage))
                .collect::<Result<_, _>>()?
        };
        self.read_sequences(sequences)
    }

    /// The sequence an event id was stored at.
    pub fn sequence_of(&self, event_id: Uuid) -> Result<Option<u64>, ReadError> {
        let txn = self.read()?;
        let table = txn.open_table(EVENT_IDS).map_err(ReadError::storage)?;
        Ok(table.get(event_id.as_u128()).map_err(ReadError::storage)?.map(|v| v.value()))
    }

    /// The content stored under a hash.
    pub fn blob(&self, hash: ContentHash) -> Result<Option<Vec<u8>>, ReadError> {
        let txn = self.read()?;
        let table = txn.open_table(BLOBS).map_err(ReadError::storage)?;
        Ok(table.get(hash.0).map_err(ReadError::storage)?.map(|v| v.value().to_vec()))
    }

    /// Every blob, in hash order.
    pub fn blobs(&self) -> Result<Vec<(ContentHash, Vec<u8>)>, ReadError> {
        let txn = self.read()?;
        let table = txn.open_table(BLOBS).map_err(ReadError::storage)?;
        table
            .range::<[u8; 32]>(..)
            .map_err(ReadError::storage)?
            .map(|entry| {
                entry.map(|(k, v)| (ContentHash(k.value()), v.value().to_vec())).map_err(ReadError::storage)
            })
            .collect()
    }

    /// The newest snapshot of (projection, key) taken at or before `at` (any sequence: `u64::MAX`).
    pub fn snapshot(
        &self,
        projection: &str,
        key: &[u8],
        at: u64,
    ) -> Result<Option<StoredSnapshot>, ReadError> {
        let txn = self.read()?;
        let table = txn.open_table(SNAPSHOTS).map_err(ReadError::storage)?;
        let last = table
            .range((projection, key, 0)..=(projection, key, at))
            .map_err(ReadError::storage)?
            .next_back();
        match last {
            Some(entry) => Ok(snapshots::decode(entry.map_err(ReadError::storage)?.1.value())),
            None => Ok(None),
        }
    }

    /// Every event from `from` on: stored ones first, then live ones as they commit. Once the
    /// store is closed (or if it is read-only) the subscription ends after the stored events.
    pub fn subscribe(&self, from: u64) -> Subscription {
        let live = match self.inner.shared.live.upgrade() {
            Some(sender) => sender.subscribe(),
            // The writer is gone: a receiver of a channel without senders reads as closed.
            None => broadcast::channel(1).1,
        };
        Subscription::new(self.clone(), live, from)
    }

    /// Counts and sizes.
    pub fn stats(&self) -> Result<StoreStats, ReadError> {
        let txn = self.read()?;
        let events = txn.open_table(EVENTS).map_err(ReadError::storage)?;
        let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
        let mut stats = StoreStats {
            events: events.len().map_err(ReadError::storage)?,
            last_sequence: self.last_sequence(),
            blobs: txn.open_table(BLOBS).map_err(ReadError::storage)?.len().map_err(ReadError::storage)?,
            snapshots: txn
                .open_table(SNAPSHOTS)
                .map_err(ReadError::storage)?
                .len()
                .map_err(ReadError::storage)?,
            bytes_on_disk: std::fs::metadata(&self.inner.path).map(|m| m.len()).unwrap_or(0),
            format_version: txn
                .open_table(META)
                .map_err(ReadError::storage)?
                .get(META_FORMAT_VERSION)
                .map_err(ReadError::storage)?
                .map_or(0, |v| v.value()),
            read_only: self.inner.read_only.clone(),
            ..Default::default()
        };
        // Each stream's first event marks one entity; version 1 keys are one per stream.
        for entry in streams.range::<([u8; 17], u64)>(..).map_err(ReadError::storage)? {
            let (key, _) = entry.map_err(ReadError::storage)?;
            let (stream, version) = key.value();
            if version != 1 {
                continue;
            }
            match StreamId::from_key(&stream) {
                Some(StreamId::Thread(_)) => stats.threads += 1,
                Some(StreamId::Run(_)) => stats.runs += 1,
                Some(StreamId::Project(_)) => stats.projects += 1,
                None => {}
            }
        }
        Ok(stats)
    }

    /// Raw record of one event, for checks that look below decoding.
    pub(crate) fn with_read<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        f(&self.read()?)
    }
}

/// Creates the tables and stamps the format version of a new store.
fn init_tables(db: &Database) -> Result<(), String> {
    let txn = db.begin_write().map_err(storage)?;
    {
        txn.open_table(EVENTS).map_err(storage)?;
        txn.open_table(STREAMS).map_err(storage)?;
        txn.open_table(CORRELATIONS).map_err(storage)?;
        txn.open_table(EVENT_IDS).map_err(storage)?;
        txn.open_table(SNAPSHOTS).map_err(storage)?;
        txn.open_table(BLOBS).map_err(storage)?;
        let mut meta = txn.open_table(META).map_err(storage)?;
        if meta.get(META_FORMAT_VERSION).map_err(storage)?.is_none() {
            meta.insert(META_FORMAT_VERSION, FORMAT_VERSION).map_err(storage)?;
        }
    }
    txn.commit().map_err(storage)
}

/// Why this build must not write to the store, if the store is from a newer version.
fn newer_reason(db: &Db) -> Result<Option<String>, String> {
    let txn = db.begin_read().map_err(storage)?;
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(storage(e)),
    };
    let get = |key| meta.get(key).map(|v| v.map_or(0, |v| v.value())).map_err(storage);
    let format = get(META_FORMAT_VERSION)?;
    if format > FORMAT_VERSION {
        return Ok(Some(format!(
            "it was written by a newer version of Coder (store format {format}; this version reads up to {FORMAT_VERSION}). Update Coder to change it."
        )));
    }
    let schema = get(META_MAX_SCHEMA)?;
    if schema > u64::from(SCHEMA_VERSION) {
        return Ok(Some(format!(
            "it holds events from a newer version of Coder (event schema {schema}; this version reads up to {SCHEMA_VERSION}). Update Coder to change it."
        )));
    }
    Ok(None)
}

fn last_sequence(db: &Db) -> Result<u64, ReadError> {
    let txn = db.begin_read().map_err(ReadError::storage)?;
    let events = match txn.open_table(EVENTS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(ReadError::storage(e)),
    };
    let last = events.last().map_err(ReadError::storage)?.map_or(0, |(k, _)| k.value());
    Ok(last)
}
