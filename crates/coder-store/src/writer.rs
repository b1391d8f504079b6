//! The one writer: a thread that owns every write transaction.
//!
//! Callers send requests over a channel. The writer takes the first request, then everything
//! else already waiting, and stages all of it in one redb write transaction; one durable commit
//! (fsync) then answers every caller. A person's single action therefore waits for one fsync,
//! and a burst of concurrent appends shares one. A request that is refused (a version conflict,
//! say) is left out of the transaction and answered with its error; the others commit. Only after
//! the commit returns are callers answered and the committed envelopes broadcast, in sequence
//! order, so nobody ever sees an event that could still be lost.
//!
//! Every event is written with its checksum (`EVENT_CHECKSUMS`), every snapshot with its own.
//!
//! A failed transaction (a full disk, say) stores nothing and fails every caller in it. redb then
//! refuses every later operation on its handle, so the writer closes the file and opens it again
//! (`DbSlot::reopen`), which brings it back to its last durable commit, and reloads the last
//! sequence from it. If that fails too, it tries again before its next transaction; once space is
//! back, appends succeed again, and every append that was acknowledged is in the file.
//!
//! An import is the one request that is not batched: it gets a write transaction of its own,
//! which it fills chunk by chunk as the importer sends them and which is committed only when the
//! importer says the input ended. Anything that goes wrong before — a refused chunk, a storage
//! failure, an importer that stops sending — aborts it, so an import is stored whole or not at
//! all. Other requests wait meanwhile; imports go into an empty store, before anything uses it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{mpsc as std_mpsc, Arc};

use coder_domain::{ContentHash, EventEnvelope, NewEvent, StreamId, SCHEMA_VERSION};
use redb::{ReadableTable, Table, WriteTransaction};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::checksum;
use crate::codec;
use crate::error::{storage, AppendError};
use crate::file::{DbSlot, IntegrityCheck};
use crate::guard::catch;
use crate::snapshots::{self, SnapshotWrite};
use crate::store::Shared;
use crate::tables::*;

/// Most requests staged in one transaction; more wait for the next one.
const MAX_BATCH: usize = 512;

/// Events of one stream to append, if the stream is at the expected version.
#[derive(Debug, Clone)]
pub struct AppendRequest {
    pub stream: StreamId,
    pub expected: ExpectedVersion,
    pub events: Vec<NewEvent>,
    /// Contents the events refer to by hash (file changes); stored once per distinct content,
    /// in the same transaction as the events.
    pub blobs: Vec<Vec<u8>>,
}

impl AppendRequest {
    pub fn new(stream: StreamId, expected: ExpectedVersion, events: Vec<NewEvent>) -> Self {
        Self { stream, expected, events, blobs: Vec::new() }
    }

    pub fn with_blobs(mut self, blobs: Vec<Vec<u8>>) -> Self {
        self.blobs = blobs;
        self
    }
}

/// What version a stream must be at for an append to go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedVersion {
    /// Whatever it is.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// Exactly this version (0 = no events yet).
    Exact(u64),
}

impl ExpectedVersion {
    fn allows(self, actual: u64) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual == 0,
            Self::Exact(v) => v == actual,
        }
    }

    fn describe(self) -> String {
        match self {
            Self::Any => "any".into(),
            Self::NoStream => "no stream".into(),
            Self::Exact(v) => v.to_string(),
        }
    }
}

type Reply<T> = oneshot::Sender<Result<T, AppendError>>;

/// Where the events of an import were written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Elsewhere (`coder import`): only into an empty store, and recorded as imported
    /// (`META_IMPORTED_THROUGH`), so that nothing that was under way there runs here.
    OtherLog,
    /// Here: a bulk write that continues this store's own log (benchmarks building stores).
    ThisLog,
}

pub(crate) enum Request {
    Append(AppendRequest, Reply<Vec<EventEnvelope>>),
    /// A whole import, whose parts arrive over the channel (see `ImportPart`).
    Import(std_mpsc::Receiver<ImportPart>, Origin, Reply<u64>),
    Blobs(Vec<Vec<u8>>, Reply<Vec<ContentHash>>),
    Snapshot(SnapshotWrite, Reply<()>),
    /// redb's integrity check, which needs the file alone: run between transactions.
    CheckIntegrity(Reply<IntegrityCheck>),
}

/// One part of an import, in the order the importer sends them.
pub(crate) enum ImportPart {
    /// Envelopes exactly as given; they must continue what was sent before without a gap.
    Events(Vec<EventEnvelope>),
    Blobs(Vec<Vec<u8>>),
    /// The input ended and every part was sent: commit. An importer that drops its sender
    /// without sending this aborts the import.
    Commit,
}

/// A staged answer, sent once the transaction commits.
enum Answer {
    Append(Reply<Vec<EventEnvelope>>, Result<Vec<EventEnvelope>, AppendError>),
    Import(Reply<u64>, Result<u64, AppendError>),
    Blobs(Reply<Vec<ContentHash>>, Vec<ContentHash>),
    Snapshot(Reply<()>),
}

impl Answer {
    fn fail(self, error: AppendError) {
        // A caller that stopped waiting is not an error.
        let _gone = match self {
            Self::Append(reply, _) => reply.send(Err(error)).is_err(),
            Self::Import(reply, _) => reply.send(Err(error)).is_err(),
            Self::Blobs(reply, _) => reply.send(Err(error)).is_err(),
            Self::Snapshot(reply) => reply.send(Err(error)).is_err(),
        };
    }

    fn send(self) {
        let _gone = match self {
            Self::Append(reply, result) => reply.send(result).is_err(),
            Self::Import(reply, result) => reply.send(result).is_err(),
            Self::Blobs(reply, hashes) => reply.send(Ok(hashes)).is_err(),
            Self::Snapshot(reply) => reply.send(Ok(())).is_err(),
        };
    }
}

pub(crate) struct Writer {
    db: Arc<DbSlot>,
    /// Set by a failed transaction: the file must be closed and opened again before the next.
    needs_reopen: bool,
    shared: Arc<Shared>,
    /// The only strong sender of the live channel (see `Shared::live`): dropped with the writer.
    live: broadcast::Sender<Arc<EventEnvelope>>,
    /// Committed stream versions seen so far; a cache of the stream index.
    heads: HashMap<[u8; 17], u64>,
    last_sequence: u64,
}

/// What one transaction has staged on top of the committed state.
struct Staged {
    heads: HashMap<[u8; 17], u64>,
    next_sequence: u64,
    event_ids: HashSet<u128>,
    committed: Vec<Arc<EventEnvelope>>,
}

struct Tables<'t> {
    events: Table<'t, u64, &'static [u8]>,
    event_sums: Table<'t, u64, u64>,
    streams: Table<'t, ([u8; 17], u64), u64>,
    correlations: Table<'t, (u128, u64), ()>,
    event_ids: Table<'t, u128, u64>,
    blobs: Table<'t, [u8; 32], &'static [u8]>,
    snapshots: Table<'t, (&'static str, &'static [u8], u64), &'static [u8]>,
    snapshot_sums: Table<'t, (&'static str, &'static [u8], u64), u64>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self, redb::TableError> {
        Ok(Self {
            events: txn.open_table(EVENTS)?,
            event_sums: txn.open_table(EVENT_CHECKSUMS)?,
            streams: txn.open_table(STREAMS)?,
            correlations: txn.open_table(CORRELATIONS)?,
            event_ids: txn.open_table(EVENT_IDS)?,
            blobs: txn.open_table(BLOBS)?,
            snapshots: txn.open_table(SNAPSHOTS)?,
            snapshot_sums: txn.open_table(SNAPSHOT_CHECKSUMS)?,
        })
    }
}

impl Writer {
    pub(crate) fn new(
        db: Arc<DbSlot>,
        shared: Arc<Shared>,
        live: broadcast::Sender<Arc<EventEnvelope>>,
        last_sequence: u64,
    ) -> Self {
        Self { db, needs_reopen: false, shared, live, heads: HashMap::new(), last_sequence }
    }

    /// Serves requests until every sender is gone.
    pub(crate) fn run(mut self, mut requests: mpsc::UnboundedReceiver<Request>) {
        while let Some(first) = requests.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match requests.try_recv() {
                    Ok(request) => batch.push(request),
                    Err(_) => break,
                }
            }
            let mut checks = Vec::new();
            let mut writes = Vec::new();
            for request in batch {
                match request {
                    Request::CheckIntegrity(reply) => checks.push(reply),
                    Request::Import(parts, origin, reply) => {
                        // What came before the import commits before it, in its own transaction.
                        if !writes.is_empty() {
                            self.commit(std::mem::take(&mut writes));
                        }
                        self.import(parts, origin, reply);
                    }
                    write => writes.push(write),
                }
            }
            if !writes.is_empty() {
                self.commit(writes);
            }
            for reply in checks {
                let _gone = reply.send(Ok(self.check_integrity())).is_err();
            }
        }
    }

    /// redb's integrity check, between transactions. A repair may change what the file holds
    /// as its last commit, so the writer's view of it is reloaded afterwards.
    fn check_integrity(&mut self) -> IntegrityCheck {
        if self.needs_reopen {
            if let Err(reason) = self.recover() {
                return IntegrityCheck::Skipped(reason);
            }
        }
        let check = self.db.check_integrity();
        if let Err(reason) = self.reload() {
            tracing::error!(%reason, "cannot read the store after its integrity check");
            self.needs_reopen = true;
        }
        check
    }

    /// Closes and reopens the file after a failed transaction, and reloads the writer's view.
    fn recover(&mut self) -> Result<(), String> {
        self.db.reopen()?;
        self.needs_reopen = false;
        self.reload()?;
        tracing::info!(last_sequence = self.last_sequence, "the store file was reopened after a failure");
        Ok(())
    }

    /// Reopens the file after a failed transaction, before its callers are answered: a caller
    /// that reads right after its failure then finds a working handle, not the one redb closed
    /// (whose reads fail). If the cause persists, the next transaction tries again.
    fn reopen_after_failure(&mut self) {
        self.needs_reopen = true;
        if let Err(reason) = self.recover() {
            tracing::warn!(%reason, "the store file cannot be reopened yet");
        }
    }

    /// Reads the last committed sequence from the file and forgets cached stream versions. A
    /// commit that reported failure may still have become durable; its events then count as
    /// stored (a retry of the same append finds them by event id).
    fn reload(&mut self) -> Result<(), String> {
        self.heads.clear();
        let last = catch(|| {
            let txn = self.db.begin_read()?;
            let events = txn.open_table(EVENTS).map_err(storage)?;
            let last = events.last().map_err(storage)?.map_or(0, |(k, _)| k.value());
            Ok::<_, String>(last)
        })??;
        self.last_sequence = last;
        self.shared.last_sequence.store(last, Ordering::Release);
        Ok(())
    }

    fn commit(&mut self, batch: Vec<Request>) {
        if self.needs_reopen {
            if let Err(reason) = self.recover() {
                tracing::error!(%reason, "the store file cannot be reopened yet");
                for request in batch {
                    unanswered(request).fail(AppendError::Storage(format!(
                        "the store could not recover from an earlier storage failure: {reason}"
                    )));
                }
                return;
            }
        }
        let mut staged = Staged {
            heads: HashMap::new(),
            next_sequence: self.last_sequence + 1,
            event_ids: HashSet::new(),
            committed: Vec::new(),
        };
        let mut answers = Vec::with_capacity(batch.len());
        // redb may panic on a damaged page (see `guard`); that fails this transaction like a
        // storage error. Callers whose requests were still unstaged then read `Closed`.
        let outcome = catch(|| self.stage(batch, &mut staged, &mut answers)).and_then(|staged| staged);
        if let Err(reason) = outcome {
            tracing::error!(%reason, "write transaction failed; nothing of it was stored");
            self.heads.clear();
            self.reopen_after_failure();
            for answer in answers {
                answer.fail(AppendError::Storage(reason.clone()));
            }
            return;
        }
        self.heads.extend(staged.heads);
        self.last_sequence = staged.next_sequence - 1;
        self.shared.last_sequence.store(self.last_sequence, Ordering::Release);
        for answer in answers {
            answer.send();
        }
        for envelope in staged.committed {
            // No receiver is not a failure: nobody is subscribed right now.
            let _no_subscribers = self.live.send(envelope);
        }
    }

    /// Runs a whole import in one transaction of its own (see the module comment) and answers it.
    fn import(&mut self, parts: std_mpsc::Receiver<ImportPart>, origin: Origin, reply: Reply<u64>) {
        let refuse = |reply: Reply<u64>, error| {
            let _gone = reply.send(Err(error)).is_err();
        };
        if self.needs_reopen {
            if let Err(reason) = self.recover() {
                return refuse(
                    reply,
                    AppendError::Storage(format!(
                        "the store could not recover from an earlier storage failure: {reason}"
                    )),
                );
            }
        }
        // Checked here, inside the writer, so that no append can slip in between.
        if origin == Origin::OtherLog && self.last_sequence != 0 {
            return refuse(reply, AppendError::NotEmpty(self.last_sequence));
        }
        let mut staged = Staged {
            heads: HashMap::new(),
            next_sequence: self.last_sequence + 1,
            event_ids: HashSet::new(),
            committed: Vec::new(),
        };
        match catch(|| self.stage_whole_import(&parts, origin, &mut staged)).and_then(|staged| staged) {
            Ok(Ok(last)) => {
                self.heads.extend(staged.heads);
                self.last_sequence = last;
                self.shared.last_sequence.store(last, Ordering::Release);
                let _gone = reply.send(Ok(last)).is_err();
                // Only the newest event is broadcast: a subscriber that sees an event past the
                // one it waits for reads the rest from the file (see `Subscription`).
                for envelope in staged.committed {
                    let _no_subscribers = self.live.send(envelope);
                }
            }
            Ok(Err(refused)) => {
                self.heads.clear();
                refuse(reply, refused);
            }
            Err(reason) => {
                tracing::error!(%reason, "import transaction failed; nothing of it was stored");
                self.heads.clear();
                self.reopen_after_failure();
                refuse(reply, AppendError::Storage(reason));
            }
        }
    }

    /// Stages every part of an import as it arrives and commits once told the input ended. The
    /// outer `Err` is a storage failure, the inner one a refusal; both leave nothing stored.
    fn stage_whole_import(
        &mut self,
        parts: &std_mpsc::Receiver<ImportPart>,
        origin: Origin,
        staged: &mut Staged,
    ) -> Result<Result<u64, AppendError>, String> {
        let txn = self.db.begin_write()?;
        let staging: Result<Result<(), AppendError>, String> = (|| {
            let mut tables = Tables::open(&txn).map_err(storage)?;
            loop {
                match parts.recv() {
                    Ok(ImportPart::Events(envelopes)) => {
                        if let Err(refused) = self.stage_import(&mut tables, staged, envelopes, &[])? {
                            return Ok(Err(refused));
                        }
                        // Keep the newest only, for the broadcast: holding every envelope of a
                        // large import twice would double its memory.
                        let older = staged.committed.len().saturating_sub(1);
                        staged.committed.drain(..older);
                    }
                    Ok(ImportPart::Blobs(blobs)) => {
                        put_blobs(&mut tables, &blobs)?;
                    }
                    Ok(ImportPart::Commit) => break,
                    Err(std_mpsc::RecvError) => return Ok(Err(AppendError::ImportAbandoned)),
                }
            }
            drop(tables);
            if staged.next_sequence > 1 {
                raise_max_schema(&txn)?;
            }
            if origin == Origin::OtherLog && staged.next_sequence > 1 {
                let mut meta = txn.open_table(META).map_err(storage)?;
                meta.insert(META_IMPORTED_THROUGH, staged.next_sequence - 1).map_err(storage)?;
            }
            Ok(Ok(()))
        })();
        match staging {
            Ok(Ok(())) => {
                txn.commit().map_err(storage)?;
                Ok(Ok(staged.next_sequence - 1))
            }
            Ok(Err(refused)) => {
                let _aborted = txn.abort();
                Ok(Err(refused))
            }
            Err(reason) => {
                let _aborted = txn.abort();
                Err(reason)
            }
        }
    }

    /// Stages every request in one transaction and commits it durably. `Err` means nothing of
    /// the batch was stored; `answers` then holds every caller, to be failed.
    fn stage(
        &mut self,
        batch: Vec<Request>,
        staged: &mut Staged,
        answers: &mut Vec<Answer>,
    ) -> Result<(), String> {
        let txn = self.db.begin_write();
        let txn = match txn {
            Ok(txn) => txn,
            Err(e) => {
                answers.extend(batch.into_iter().map(unanswered));
                return Err(e);
            }
        };
        let mut requests = batch.into_iter();
        let staging: Result<(), String> = (|| {
            let mut tables = Tables::open(&txn).map_err(storage)?;
            let mut wrote_events = false;
            for request in requests.by_ref() {
                // A storage failure dooms the whole transaction; the failing request's caller
                // is kept in `answers` so that it, too, is told why.
                let answer = match request {
                    Request::Append(req, reply) => match self.stage_append(&mut tables, staged, req) {
                        Ok(result) => {
                            wrote_events |= result.is_ok();
                            Answer::Append(reply, result)
                        }
                        Err(e) => {
                            answers.push(Answer::Append(reply, Err(AppendError::Closed)));
                            return Err(e);
                        }
                    },
                    // `run` gives every import a transaction of its own; answered rather than lost.
                    Request::Import(_, _, reply) => Answer::Import(reply, Err(AppendError::Closed)),
                    Request::Blobs(blobs, reply) => match put_blobs(&mut tables, &blobs) {
                        Ok(hashes) => Answer::Blobs(reply, hashes),
                        Err(e) => {
                            answers.push(Answer::Blobs(reply, Vec::new()));
                            return Err(e);
                        }
                    },
                    Request::CheckIntegrity(reply) => {
                        // `run` keeps these out of transactions; answered rather than lost.
                        let _gone = reply.send(Ok(IntegrityCheck::Skipped("not run".into()))).is_err();
                        continue;
                    }
                    Request::Snapshot(write, reply) => {
                        match snapshots::stage(&mut tables.snapshots, &mut tables.snapshot_sums, &write) {
                            Ok(()) => Answer::Snapshot(reply),
                            Err(e) => {
                                answers.push(Answer::Snapshot(reply));
                                return Err(storage(e));
                            }
                        }
                    }
                };
                answers.push(answer);
            }
            drop(tables);
            if wrote_events {
                raise_max_schema(&txn)?;
            }
            Ok(())
        })();
        if let Err(e) = staging {
            answers.extend(requests.map(unanswered));
            let _aborted = txn.abort();
            return Err(e);
        }
        txn.commit().map_err(storage)
    }

    /// The version of a stream including what this transaction has staged.
    fn head(&mut self, tables: &Tables<'_>, staged: &Staged, key: &[u8; 17]) -> Result<u64, String> {
        if let Some(v) = staged.heads.get(key) {
            return Ok(*v);
        }
        if let Some(v) = self.heads.get(key) {
            return Ok(*v);
        }
        let last = tables.streams.range((*key, 0)..=(*key, u64::MAX)).map_err(storage)?.next_back();
        let version = match last {
            Some(entry) => entry.map_err(storage)?.0.value().1,
            None => 0,
        };
        self.heads.insert(*key, version);
        Ok(version)
    }

    /// Stages one append. The outer `Err` is a storage failure that dooms the transaction; the
    /// inner one refuses this request alone, before anything of it was written.
    fn stage_append(
        &mut self,
        tables: &mut Tables<'_>,
        staged: &mut Staged,
        req: AppendRequest,
    ) -> Result<Result<Vec<EventEnvelope>, AppendError>, String> {
        let Some(first) = req.events.first() else { return Ok(Err(AppendError::Empty)) };
        // A retried append whose events are all stored already gets them back, stored once. A
        // batch that mixes stored and new events is not a retry: it is refused below.
        if tables.event_ids.get(first.event_id.as_u128()).map_err(storage)?.is_some() {
            let mut stored = Vec::with_capacity(req.events.len());
            for event in &req.events {
                let Some(seq) = tables.event_ids.get(event.event_id.as_u128()).map_err(storage)? else {
                    return Ok(Err(AppendError::DuplicateEvent(first.event_id)));
                };
                let seq = seq.value();
                let record = tables.events.get(seq).map_err(storage)?.ok_or("event index points nowhere")?;
                let sum = tables.event_sums.get(seq).map_err(storage)?.map(|s| s.value());
                if sum != Some(checksum::event(seq, record.value())) {
                    return Ok(Err(AppendError::Storage(format!(
                        "event {seq} is damaged: its stored bytes do not match their checksum"
                    ))));
                }
                match codec::decode(record.value()) {
                    Ok(envelope) => stored.push(envelope),
                    // An unreadable stored event fails this request, not the whole transaction.
                    Err(e) => return Ok(Err(AppendError::Storage(format!("event {seq}: {e}")))),
                }
            }
            return Ok(Ok(stored));
        }
        let mut seen = HashSet::new();
        for event in &req.events {
            let id = event.event_id.as_u128();
            let known =
                staged.event_ids.contains(&id) || tables.event_ids.get(id).map_err(storage)?.is_some();
            if known || !seen.insert(id) {
                return Ok(Err(AppendError::DuplicateEvent(event.event_id)));
            }
        }
        let key = req.stream.to_key();
        let head = self.head(tables, staged, &key)?;
        if !req.expected.allows(head) {
            return Ok(Err(AppendError::Conflict {
                stream: req.stream,
                expected: req.expected.describe(),
                actual: head,
            }));
        }
        let mut envelopes = Vec::with_capacity(req.events.len());
        let mut records = Vec::with_capacity(req.events.len());
        for (i, event) in req.events.into_iter().enumerate() {
            let envelope =
                event.into_envelope(staged.next_sequence + i as u64, req.stream, head + 1 + i as u64);
            match codec::encode(&envelope) {
                Ok(record) => records.push(record),
                Err(e) => return Ok(Err(AppendError::Encode(e))),
            }
            envelopes.push(envelope);
        }
        for (envelope, record) in envelopes.iter().zip(&records) {
            insert_event(tables, envelope, record)?;
            staged.event_ids.insert(envelope.event_id.as_u128());
            staged.committed.push(Arc::new(envelope.clone()));
        }
        put_blobs(tables, &req.blobs)?;
        staged.next_sequence += envelopes.len() as u64;
        staged.heads.insert(key, head + envelopes.len() as u64);
        Ok(Ok(envelopes))
    }

    /// Stages envelopes exactly as given (sequence, versions and ids), checking that they
    /// continue the log without a gap.
    fn stage_import(
        &mut self,
        tables: &mut Tables<'_>,
        staged: &mut Staged,
        envelopes: Vec<EventEnvelope>,
        blobs: &[Vec<u8>],
    ) -> Result<Result<u64, AppendError>, String> {
        let mut heads: HashMap<[u8; 17], u64> = HashMap::new();
        let mut seen = HashSet::new();
        let mut records = Vec::with_capacity(envelopes.len());
        for (i, envelope) in envelopes.iter().enumerate() {
            let expected = staged.next_sequence + i as u64;
            if envelope.sequence != expected {
                return Ok(Err(AppendError::OutOfSequence { expected, found: envelope.sequence }));
            }
            // An id stored twice would leave the event-id index pointing at only one of them.
            let id = envelope.event_id.as_u128();
            if !seen.insert(id) || tables.event_ids.get(id).map_err(storage)?.is_some() {
                return Ok(Err(AppendError::DuplicateEvent(envelope.event_id)));
            }
            let key = envelope.stream.to_key();
            let head = match heads.get(&key) {
                Some(v) => *v,
                None => self.head(tables, staged, &key)?,
            };
            if envelope.stream_version != head + 1 {
                return Ok(Err(AppendError::StreamGap {
                    stream: envelope.stream,
                    expected: head + 1,
                    found: envelope.stream_version,
                }));
            }
            heads.insert(key, head + 1);
            match codec::encode(envelope) {
                Ok(record) => records.push(record),
                Err(e) => return Ok(Err(AppendError::Encode(e))),
            }
        }
        for (envelope, record) in envelopes.iter().zip(&records) {
            insert_event(tables, envelope, record)?;
            staged.committed.push(Arc::new(envelope.clone()));
        }
        put_blobs(tables, blobs)?;
        staged.next_sequence += envelopes.len() as u64;
        staged.heads.extend(heads);
        Ok(Ok(staged.next_sequence - 1))
    }
}

/// Records in `meta` that this transaction wrote events of this build's schema version.
fn raise_max_schema(txn: &WriteTransaction) -> Result<(), String> {
    let mut meta = txn.open_table(META).map_err(storage)?;
    let max_schema = meta.get(META_MAX_SCHEMA).map_err(storage)?.map_or(0, |v| v.value());
    if max_schema < u64::from(SCHEMA_VERSION) {
        meta.insert(META_MAX_SCHEMA, u64::from(SCHEMA_VERSION)).map_err(storage)?;
    }
    Ok(())
}

fn insert_event(tables: &mut Tables<'_>, envelope: &EventEnvelope, record: &[u8]) -> Result<(), String> {
    let seq = envelope.sequence;
    tables.events.insert(seq, record).map_err(storage)?;
    tables.event_sums.insert(seq, checksum::event(seq, record)).map_err(storage)?;
    tables.streams.insert((envelope.stream.to_key(), envelope.stream_version), seq).map_err(storage)?;
    tables.correlations.insert((envelope.correlation_id.as_u128(), seq), ()).map_err(storage)?;
    tables.event_ids.insert(envelope.event_id.as_u128(), seq).map_err(storage)?;
    Ok(())
}

fn put_blobs(tables: &mut Tables<'_>, blobs: &[Vec<u8>]) -> Result<Vec<ContentHash>, String> {
    let mut hashes = Vec::with_capacity(blobs.len());
    for blob in blobs {
        let hash = ContentHash::of(blob);
        if tables.blobs.get(hash.0).map_err(storage)?.is_none() {
            tables.blobs.insert(hash.0, blob.as_slice()).map_err(storage)?;
        }
        hashes.push(hash);
    }
    Ok(hashes)
}

/// A request that never reached staging, as an answer to be failed.
fn unanswered(request: Request) -> Answer {
    match request {
        Request::Append(_, reply) => Answer::Append(reply, Err(AppendError::Closed)),
        Request::Import(_, _, reply) => Answer::Import(reply, Err(AppendError::Closed)),
        Request::Blobs(_, reply) => Answer::Blobs(reply, Vec::new()),
        Request::Snapshot(_, reply) => Answer::Snapshot(reply),
        Request::CheckIntegrity(reply) => {
            let _gone = reply.send(Ok(IntegrityCheck::Skipped("not run".into()))).is_err();
            Answer::Snapshot(oneshot::channel().0)
        }
    }
}
