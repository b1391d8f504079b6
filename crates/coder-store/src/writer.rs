//! The one writer: a thread that owns every write transaction.
//!
//! Callers send requests over a channel. The writer takes the first request, then everything
//! else already waiting, and stages all of it in one redb write transaction; one durable commit
//! (fsync) then answers every caller. A person's single action therefore waits for one fsync,
//! and a burst of concurrent appends shares one. A request that is refused (a version conflict,
//! say) is left out of the transaction and answered with its error; the others commit. Only after
//! the commit returns are callers answered and the committed envelopes broadcast, in sequence
//! order, so nobody ever sees an event that could still be lost.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use coder_domain::{ContentHash, EventEnvelope, NewEvent, StreamId, SCHEMA_VERSION};
use redb::{Database, ReadableTable, Table, WriteTransaction};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::codec;
use crate::error::{storage, AppendError};
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

pub(crate) enum Request {
    Append(AppendRequest, Reply<Vec<EventEnvelope>>),
    Import(Vec<EventEnvelope>, Vec<Vec<u8>>, Reply<u64>),
    Blobs(Vec<Vec<u8>>, Reply<Vec<ContentHash>>),
    Snapshot(SnapshotWrite, Reply<()>),
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
    db: Arc<Database>,
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
    streams: Table<'t, ([u8; 17], u64), u64>,
    correlations: Table<'t, (u128, u64), ()>,
    event_ids: Table<'t, u128, u64>,
    blobs: Table<'t, [u8; 32], &'static [u8]>,
    snapshots: Table<'t, (&'static str, &'static [u8], u64), &'static [u8]>,
}

impl<'t> Tables<'t> {
    fn open(txn: &'t WriteTransaction) -> Result<Self, redb::TableError> {
        Ok(Self {
            events: txn.open_table(EVENTS)?,
            streams: txn.open_table(STREAMS)?,
            correlations: txn.open_table(CORRELATIONS)?,
            event_ids: txn.open_table(EVENT_IDS)?,
            blobs: txn.open_table(BLOBS)?,
            snapshots: txn.open_table(SNAPSHOTS)?,
        })
    }
}

impl Writer {
    pub(crate) fn new(
        db: Arc<Database>,
        shared: Arc<Shared>,
        live: broadcast::Sender<Arc<EventEnvelope>>,
        last_sequence: u64,
    ) -> Self {
        Self { db, shared, live, heads: HashMap::new(), last_sequence }
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
            self.commit(batch);
        }
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let mut staged = Staged {
            heads: HashMap::new(),
            next_sequence: self.last_sequence + 1,
            event_ids: HashSet::new(),
            committed: Vec::new(),
        };
        let mut answers = Vec::with_capacity(batch.len());
        let outcome = self.stage(batch, &mut staged, &mut answers);
        if let Err(reason) = outcome {
            tracing::error!(%reason, "write transaction failed; nothing of it was stored");
            self.heads.clear();
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

    /// Stages every request in one transaction and commits it durably. `Err` means nothing of
    /// the batch was stored; `answers` then holds every caller, to be failed.
    fn stage(
        &mut self,
        batch: Vec<Request>,
        staged: &mut Staged,
        answers: &mut Vec<Answer>,
    ) -> Result<(), String> {
        let txn = self.db.begin_write().map_err(storage);
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
                    Request::Import(envelopes, blobs, reply) => {
                        match self.stage_import(&mut tables, staged, envelopes, &blobs) {
                            Ok(result) => {
                                wrote_events |= result.is_ok();
                                Answer::Import(reply, result)
                            }
                            Err(e) => {
                                answers.push(Answer::Import(reply, Err(AppendError::Closed)));
                                return Err(e);
                            }
                        }
                    }
                    Request::Blobs(blobs, reply) => match put_blobs(&mut tables, &blobs) {
                        Ok(hashes) => Answer::Blobs(reply, hashes),
                        Err(e) => {
                            answers.push(Answer::Blobs(reply, Vec::new()));
                            return Err(e);
                        }
                    },
                    Request::Snapshot(write, reply) => {
                        match snapshots::stage(&mut tables.snapshots, &write) {
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
                let mut meta = txn.open_table(META).map_err(storage)?;
                let max_schema = meta.get(META_MAX_SCHEMA).map_err(storage)?.map_or(0, |v| v.value());
                if max_schema < u64::from(SCHEMA_VERSION) {
                    meta.insert(META_MAX_SCHEMA, u64::from(SCHEMA_VERSION)).map_err(storage)?;
                }
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

fn insert_event(tables: &mut Tables<'_>, envelope: &EventEnvelope, record: &[u8]) -> Result<(), String> {
    let seq = envelope.sequence;
    tables.events.insert(seq, record).map_err(storage)?;
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
    }
}
