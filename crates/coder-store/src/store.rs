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

use crate::checksum;
use crate::error::{storage, AppendError, OpenError, ReadError};
use crate::file::{self, DbSlot, IntegrityCheck};
use crate::guard::catch;
use crate::migrate;
use crate::records::{Checksums, EventRecords};
use crate::snapshots::{self, SnapshotWrite, StoredSnapshot};
use crate::subscription::Subscription;
use crate::tables::*;
use crate::writer::{AppendRequest, ImportPart, Origin, Request, Writer};

/// Events decoded per read transaction by `scan`.
const SCAN_CHUNK: usize = 1024;

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
    Writable(Arc<DbSlot>),
    ReadOnly(ReadOnlyDatabase),
}

impl Db {
    fn begin_read(&self) -> Result<ReadTransaction, String> {
        match self {
            Self::Writable(slot) => slot.begin_read(),
            Self::ReadOnly(db) => db.begin_read().map_err(storage),
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
    /// Whether every event has a checksum to be checked on read (see `records`).
    checksums: Checksums,
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
    /// Opens the store file at `path`, creating it (and its directory) if missing, readable and
    /// writable by its owner only. A store written by a newer version of Coder opens read-only,
    /// with the reason in `read_only_reason`; so does a damaged file that redb can still read. A
    /// format 1 store is upgraded to format 2 (checksums) by its first writable open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref().to_path_buf();
        catch(|| Self::open_inner(path.clone())).unwrap_or_else(|reason| Err(damaged(&path, reason)))
    }

    fn open_inner(path: PathBuf) -> Result<Self, OpenError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|source| OpenError::CreateDir { path: dir.into(), source })?;
        }
        let failed = |reason: String| OpenError::Storage { path: path.clone(), reason };
        let existed = path.exists();
        if existed {
            // Look before writing anything: a newer store must not be touched.
            match redb::Builder::new().open_read_only(&path) {
                Ok(db) => {
                    let db = Db::ReadOnly(db);
                    let meta = read_meta(&db).map_err(|reason| damaged(&path, reason))?;
                    if let Some(reason) = meta.newer_reason() {
                        return Ok(Self::read_only(path, db, reason, meta.checksums()));
                    }
                }
                Err(redb::DatabaseError::DatabaseAlreadyOpen) => return Err(OpenError::Locked { path }),
                // A file that needs recovery after a crash cannot open read-only; the writable
                // open below recovers it.
                Err(_) => {}
            }
            file::tighten(&path).map_err(|e| failed(format!("cannot restrict its permissions: {e}")))?;
        } else {
            file::create_private(&path).map_err(|e| failed(format!("cannot create it: {e}")))?;
        }
        let db = match Database::create(&path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => return Err(OpenError::Locked { path }),
            Err(e) => return Self::open_damaged(path, e.to_string()),
        };
        let slot = Arc::new(DbSlot::new(path.clone(), db));
        let db = Db::Writable(slot.clone());
        let meta = read_meta(&db).map_err(|reason| damaged(&path, reason))?;
        if let Some(reason) = meta.newer_reason() {
            return Ok(Self::read_only(path, db, reason, meta.checksums()));
        }
        // A store that cannot be brought to this build's format is still worth reading.
        if let Err(reason) = migrate::to_current(&slot, meta.format) {
            let reason = format!(
                "it could not be prepared for writing ({reason}); export what can be read, or restore a backup"
            );
            return Ok(Self::read_only(path, db, reason, meta.checksums()));
        }
        let last_sequence = last_sequence(&db).map_err(|e| damaged(&path, e.to_string()))?;
        let (live, _) = broadcast::channel(LIVE_CAPACITY);
        let shared =
            Arc::new(Shared { last_sequence: AtomicU64::new(last_sequence), live: live.downgrade() });
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = Writer::new(slot, shared.clone(), live, last_sequence);
        let handle = std::thread::Builder::new()
            .name("coder-store-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| failed(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                db,
                shared,
                requests: Mutex::new(Some(tx)),
                writer: Mutex::new(Some(handle)),
                read_only: None,
                checksums: Checksums::Required,
            }),
        })
    }

    /// A file redb refused to open for writing: read-only if redb can read it at all.
    fn open_damaged(path: PathBuf, reason: String) -> Result<Self, OpenError> {
        let db = match redb::Builder::new().open_read_only(&path) {
            Ok(db) => Db::ReadOnly(db),
            Err(_) => return Err(damaged(&path, reason)),
        };
        let meta = read_meta(&db).map_err(|reason| damaged(&path, reason))?;
        let reason =
            format!("the store file is damaged ({reason}); export what can be read, or restore a backup");
        Ok(Self::read_only(path, db, reason, meta.checksums()))
    }

    fn read_only(path: PathBuf, db: Db, reason: String, checksums: Checksums) -> Self {
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
                checksums,
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

    /// Writes envelopes exactly as given, with the blobs, continuing this store's own log in one
    /// transaction: all of them or, if they do not continue it with no gap (in sequence and in
    /// each stream), none. For building stores in bulk (benchmarks); a log from elsewhere goes
    /// through `import`. Returns the last sequence.
    pub fn import_blocking(
        &self,
        envelopes: Vec<EventEnvelope>,
        blobs: Vec<Vec<u8>>,
    ) -> Result<u64, AppendError> {
        let (parts, answer) = self.begin_import(Origin::ThisLog);
        // A send fails only once the writer has refused the import; the answer says why.
        let _refused = parts.send(ImportPart::Events(envelopes)).is_err()
            || parts.send(ImportPart::Blobs(blobs)).is_err()
            || parts.send(ImportPart::Commit).is_err();
        drop(parts);
        answer.blocking_recv().unwrap_or(Err(AppendError::Closed))
    }

    /// Starts an import: its parts go over the returned sender, and the receiver gets its
    /// answer once it was committed, refused or abandoned (see `writer`). The channel holds one
    /// part at a time, so a fast reader of the input waits for the writer rather than piling up
    /// memory.
    pub(crate) fn begin_import(
        &self,
        origin: Origin,
    ) -> (std::sync::mpsc::SyncSender<ImportPart>, oneshot::Receiver<Result<u64, AppendError>>) {
        let (parts, receiver) = std::sync::mpsc::sync_channel(1);
        let answer = self.submit(|reply| Request::Import(receiver, origin, reply));
        (parts, answer)
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
        self.inner.db.begin_read().map_err(ReadError::Storage)
    }

    /// The event table of a read transaction, with the checks every event read goes through.
    pub(crate) fn records(&self, txn: &ReadTransaction) -> Result<EventRecords, ReadError> {
        EventRecords::open(txn, self.inner.checksums)
    }

    /// Whether this store's events carry checksums.
    pub(crate) fn checksums(&self) -> Checksums {
        self.inner.checksums
    }

    /// Runs redb's integrity check of the file, through the writer, which has to hold the file
    /// alone for it. A read-only store is not checked (the check may repair, which writes).
    pub(crate) fn check_integrity(&self) -> IntegrityCheck {
        if let Some(reason) = &self.inner.read_only {
            return IntegrityCheck::Skipped(format!("the store is read-only: {reason}"));
        }
        match self.submit(Request::CheckIntegrity).blocking_recv() {
            Ok(Ok(check)) => check,
            Ok(Err(e)) => IntegrityCheck::Skipped(e.to_string()),
            Err(_) => IntegrityCheck::Skipped(AppendError::Closed.to_string()),
        }
    }

    /// Calls `f` with every event from sequence `from` on, in order, until it breaks.
    pub fn scan(
        &self,
        from: u64,
        mut f: impl FnMut(EventEnvelope) -> ControlFlow<()>,
    ) -> Result<(), ReadError> {
        // Read in chunks, each under `catch`, and call `f` outside it: a panic of `f` is the
        // caller's own and must not turn into a read error.
        let mut next = from;
        loop {
            let chunk = guarded(|| {
                let txn = self.read()?;
                let records = self.records(&txn)?;
                let mut chunk = Vec::with_capacity(SCAN_CHUNK);
                for entry in records.events().range(next..).map_err(ReadError::storage)? {
                    let (seq, record) = entry.map_err(ReadError::storage)?;
                    chunk.push(records.decode(seq.value(), record.value())?);
                    if chunk.len() == SCAN_CHUNK {
                        break;
                    }
                }
                Ok(chunk)
            })?;
            let Some(last) = chunk.last().map(|e| e.sequence) else { return Ok(()) };
            for envelope in chunk {
                if f(envelope).is_break() {
                    return Ok(());
                }
            }
            next = last + 1;
        }
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
        guarded(|| {
            let txn = self.read()?;
            let records = self.records(&txn)?;
            let mut out = Vec::new();
            for seq in sequences {
                if let Some(envelope) = records.get(seq)? {
                    out.push(envelope);
                }
            }
            Ok(out)
        })
    }

    /// The sequences of one stream's events from version `from_version` on, in order.
    pub fn stream_sequences(&self, stream: StreamId, from_version: u64) -> Result<Vec<u64>, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
            let key = stream.to_key();
            streams
                .range((key, from_version)..=(key, u64::MAX))
                .map_err(ReadError::storage)?
                .map(|entry| entry.map(|(_, seq)| seq.value()).map_err(ReadError::storage))
                .collect()
        })
    }

    /// One stream's events from version `from_version` on. Each event read is checked to be the
    /// version of the stream the index says it is, so a damaged index never serves another
    /// stream's event.
    pub fn read_stream(&self, stream: StreamId, from_version: u64) -> Result<Vec<EventEnvelope>, ReadError> {
        let sequences = self.stream_sequences(stream, from_version)?;
        let events = self.read_sequences(sequences.iter().copied())?;
        if events.len() != sequences.len() {
            let missing = sequences.iter().find(|s| !events.iter().any(|e| e.sequence == **s));
            return Err(ReadError::IndexDamaged { index: "stream", sequence: missing.copied().unwrap_or(0) });
        }
        for (i, e) in events.iter().enumerate() {
            let version = from_version.max(1) + i as u64;
            if e.stream != stream || e.stream_version != version {
                return Err(ReadError::IndexDamaged { index: "stream", sequence: e.sequence });
            }
        }
        Ok(events)
    }

    /// The current version of a stream (0 if it has no events).
    pub fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
            let key = stream.to_key();
            let last = streams.range((key, 0)..=(key, u64::MAX)).map_err(ReadError::storage)?.next_back();
            Ok(match last {
                Some(entry) => entry.map_err(ReadError::storage)?.0.value().1,
                None => 0,
            })
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
        let events = self.read_sequences(sequences.iter().copied())?;
        if let Some(e) = events.iter().find(|e| e.correlation_id != correlation_id) {
            return Err(ReadError::IndexDamaged { index: "correlation", sequence: e.sequence });
        }
        if events.len() != sequences.len() {
            return Err(ReadError::IndexDamaged { index: "correlation", sequence: sequences[events.len()] });
        }
        Ok(events)
    }

    /// The sequence an event id was stored at.
    pub fn sequence_of(&self, event_id: Uuid) -> Result<Option<u64>, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let table = txn.open_table(EVENT_IDS).map_err(ReadError::storage)?;
            Ok(table.get(event_id.as_u128()).map_err(ReadError::storage)?.map(|v| v.value()))
        })
    }

    /// The content stored under a hash, checked against it.
    pub fn blob(&self, hash: ContentHash) -> Result<Option<Vec<u8>>, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let table = txn.open_table(BLOBS).map_err(ReadError::storage)?;
            match table.get(hash.0).map_err(ReadError::storage)? {
                Some(data) => checked_blob(hash, data.value().to_vec()).map(Some),
                None => Ok(None),
            }
        })
    }

    /// Every blob, in hash order, each checked against its hash.
    pub fn blobs(&self) -> Result<Vec<(ContentHash, Vec<u8>)>, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let table = txn.open_table(BLOBS).map_err(ReadError::storage)?;
            table
                .range::<[u8; 32]>(..)
                .map_err(ReadError::storage)?
                .map(|entry| {
                    let (k, v) = entry.map_err(ReadError::storage)?;
                    let hash = ContentHash(k.value());
                    Ok((hash, checked_blob(hash, v.value().to_vec())?))
                })
                .collect()
        })
    }

    /// The newest snapshot of (projection, key) taken at or before `at` (any sequence: `u64::MAX`).
    ///
    /// A snapshot is a cache of what the events say: one that fails its checksum is skipped
    /// (and logged), and the next older one is tried, so the caller replays from events instead
    /// of restoring damaged state.
    pub fn snapshot(
        &self,
        projection: &str,
        key: &[u8],
        at: u64,
    ) -> Result<Option<StoredSnapshot>, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let table = txn.open_table(SNAPSHOTS).map_err(ReadError::storage)?;
            let sums = match self.inner.checksums {
                Checksums::Required => Some(txn.open_table(SNAPSHOT_CHECKSUMS).map_err(ReadError::storage)?),
                Checksums::Absent => None,
            };
            for entry in
                table.range((projection, key, 0)..=(projection, key, at)).map_err(ReadError::storage)?.rev()
            {
                let (k, record) = entry.map_err(ReadError::storage)?;
                let (_, _, sequence) = k.value();
                if let Some(sums) = &sums {
                    let expected = checksum::snapshot(projection, key, sequence, record.value());
                    let stored = sums.get((projection, key, sequence)).map_err(ReadError::storage)?;
                    if stored.map(|s| s.value()) != Some(expected) {
                        tracing::warn!(projection, sequence, "skipping a damaged snapshot");
                        continue;
                    }
                }
                match snapshots::decode(record.value()) {
                    Some(snapshot) if snapshot.sequence == sequence => return Ok(Some(snapshot)),
                    _ => tracing::warn!(projection, sequence, "skipping a snapshot that does not decode"),
                }
            }
            Ok(None)
        })
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

    /// The last sequence that `import` brought into this store, if it was filled by one: the
    /// events up to it were written elsewhere.
    pub fn imported_through(&self) -> Result<Option<u64>, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let meta = txn.open_table(META).map_err(ReadError::storage)?;
            Ok(meta.get(META_IMPORTED_THROUGH).map_err(ReadError::storage)?.map(|v| v.value()))
        })
    }

    /// Counts and sizes.
    pub fn stats(&self) -> Result<StoreStats, ReadError> {
        guarded(|| {
            let txn = self.read()?;
            let events = txn.open_table(EVENTS).map_err(ReadError::storage)?;
            let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
            let mut stats = StoreStats {
                events: events.len().map_err(ReadError::storage)?,
                last_sequence: self.last_sequence(),
                blobs: txn
                    .open_table(BLOBS)
                    .map_err(ReadError::storage)?
                    .len()
                    .map_err(ReadError::storage)?,
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
        })
    }

    /// Raw record of one event, for checks that look below decoding.
    pub(crate) fn with_read<T>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, ReadError>,
    ) -> Result<T, ReadError> {
        guarded(|| f(&self.read()?))
    }
}

/// What the `META` table says about a store.
struct StoreMeta {
    /// `None` for a new, empty file.
    format: Option<u64>,
    max_schema: u64,
}

impl StoreMeta {
    /// Why this build must not write to the store, if the store is from a newer version.
    fn newer_reason(&self) -> Option<String> {
        let format = self.format.unwrap_or(FORMAT_VERSION);
        if format > FORMAT_VERSION {
            return Some(format!(
                "it was written by a newer version of Coder (store format {format}; this version reads up to {FORMAT_VERSION}). Update Coder to change it."
            ));
        }
        let schema = self.max_schema;
        if schema > u64::from(SCHEMA_VERSION) {
            return Some(format!(
                "it holds events from a newer version of Coder (event schema {schema}; this version reads up to {SCHEMA_VERSION}). Update Coder to change it."
            ));
        }
        None
    }

    /// Whether the events carry checksums as the store is now (before any upgrade).
    fn checksums(&self) -> Checksums {
        match self.format {
            Some(format) if format < migrate::FIRST_WITH_CHECKSUMS => Checksums::Absent,
            _ => Checksums::Required,
        }
    }
}

fn read_meta(db: &Db) -> Result<StoreMeta, String> {
    let txn = db.begin_read()?;
    let meta = match txn.open_table(META) {
        Ok(meta) => meta,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(StoreMeta { format: None, max_schema: 0 }),
        Err(e) => return Err(storage(e)),
    };
    let get = |key| meta.get(key).map(|v| v.map(|v| v.value())).map_err(storage);
    Ok(StoreMeta { format: get(META_FORMAT_VERSION)?, max_schema: get(META_MAX_SCHEMA)?.unwrap_or(0) })
}

fn damaged(path: &Path, reason: String) -> OpenError {
    OpenError::Damaged { path: path.to_path_buf(), reason }
}

/// A blob's content, if it still hashes to its key.
fn checked_blob(hash: ContentHash, data: Vec<u8>) -> Result<Vec<u8>, ReadError> {
    if ContentHash::of(&data) == hash {
        Ok(data)
    } else {
        Err(ReadError::BlobDamaged { hash })
    }
}

fn last_sequence(db: &Db) -> Result<u64, ReadError> {
    let txn = db.begin_read().map_err(ReadError::Storage)?;
    let events = match txn.open_table(EVENTS) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(ReadError::storage(e)),
    };
    let last = events.last().map_err(ReadError::storage)?.map_or(0, |(k, _)| k.value());
    Ok(last)
}

/// Runs a read under `catch`, so that redb failing on a damaged page is an error, not a panic.
fn guarded<T>(read: impl FnOnce() -> Result<T, ReadError>) -> Result<T, ReadError> {
    catch(read).unwrap_or_else(|reason| Err(ReadError::Unreadable(reason)))
}
