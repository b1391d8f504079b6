//! The baseline: the event table a typical app would write to SQLite.
//!
//! WAL journal, `synchronous=FULL` (every commit durable, like Coder's), one row per event —
//! `sequence INTEGER PRIMARY KEY`, the stream's 17-byte key, its version, and the envelope as a
//! JSON text body — with an index on (stream, sequence) for reading a stream. Stream versions
//! are tracked in memory (the writer's cache, as Coder's writer keeps one), which spares the
//! baseline a lookup per append. Bytes are as `BLOB` rather than text keys, the smaller choice:
//! where Coder still wins, it wins against the leaner baseline.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use coder_domain::{EventEnvelope, NewEvent, StreamId};
use rusqlite::{params, Connection};

use crate::error::BenchError;

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS events (
        sequence INTEGER PRIMARY KEY,
        stream   BLOB NOT NULL,
        version  INTEGER NOT NULL,
        body     TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS events_by_stream ON events (stream, sequence);
";

const INSERT: &str = "INSERT INTO events (sequence, stream, version, body) VALUES (?1, ?2, ?3, ?4)";

pub(crate) struct SqliteLog {
    conn: Connection,
    path: PathBuf,
    next_sequence: u64,
    versions: HashMap<StreamId, u64>,
}

impl SqliteLog {
    /// Opens (creating) the database at `path` in WAL mode with `synchronous=FULL`.
    pub fn open(path: &Path) -> Result<Self, BenchError> {
        let conn = Connection::open(path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(BenchError::Baseline(format!("journal mode is {mode}, not WAL")));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        let last: i64 =
            conn.query_row("SELECT coalesce(max(sequence), 0) FROM events", [], |row| row.get(0))?;
        Ok(Self { conn, path: path.to_path_buf(), next_sequence: last as u64 + 1, versions: HashMap::new() })
    }

    fn envelope(&mut self, stream: StreamId, event: NewEvent) -> EventEnvelope {
        let version = self.versions.get(&stream).copied().unwrap_or(0) + 1;
        event.into_envelope(self.next_sequence, stream, version)
    }

    fn advance(&mut self, envelope: &EventEnvelope) {
        self.next_sequence = envelope.sequence + 1;
        self.versions.insert(envelope.stream, envelope.stream_version);
    }

    /// Appends one event in a transaction of its own: one durable commit, as a person's action.
    pub fn append(&mut self, stream: StreamId, event: NewEvent) -> Result<EventEnvelope, BenchError> {
        let envelope = self.envelope(stream, event);
        let body = serde_json::to_string(&envelope)?;
        let mut insert = self.conn.prepare_cached(INSERT)?;
        insert.execute(params![
            envelope.sequence as i64,
            &stream.to_key()[..],
            envelope.stream_version as i64,
            body
        ])?;
        drop(insert);
        self.advance(&envelope);
        Ok(envelope)
    }

    /// Writes envelopes that already have their places (the same as Coder got) in one
    /// transaction.
    pub fn insert_all(&mut self, envelopes: &[EventEnvelope]) -> Result<(), BenchError> {
        let txn = self.conn.transaction()?;
        {
            let mut insert = txn.prepare_cached(INSERT)?;
            for e in envelopes {
                let body = serde_json::to_string(e)?;
                insert.execute(params![
                    e.sequence as i64,
                    &e.stream.to_key()[..],
                    e.stream_version as i64,
                    body
                ])?;
            }
        }
        txn.commit()?;
        if let Some(last) = envelopes.last() {
            self.next_sequence = last.sequence + 1;
        }
        for e in envelopes {
            self.versions.insert(e.stream, e.stream_version);
        }
        Ok(())
    }

    /// Reads every event in sequence order, deserializing its JSON body.
    pub fn scan(&self, mut f: impl FnMut(EventEnvelope)) -> Result<(), BenchError> {
        let mut select = self.conn.prepare("SELECT body FROM events ORDER BY sequence")?;
        let mut rows = select.query([])?;
        while let Some(row) = rows.next()? {
            let body = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
            f(serde_json::from_str(body)?);
        }
        Ok(())
    }

    /// Bytes on disk once the WAL is checkpointed into the database: database plus WAL files.
    pub fn bytes_on_disk(&self) -> Result<u64, BenchError> {
        self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let size = |suffix: &str| {
            let mut name = self.path.clone().into_os_string();
            name.push(suffix);
            std::fs::metadata(PathBuf::from(name)).map_or(0, |m| m.len())
        };
        Ok(size("") + size("-wal"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coder_domain::{DomainEvent, ThreadId, Utc};

    #[test]
    fn appended_events_read_back_in_order_with_their_places() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut log = SqliteLog::open(&dir.path().join("events.sqlite")).expect("a new database opens");
        let thread = ThreadId::new();
        let stream = StreamId::Thread(thread);
        for i in 0..3 {
            let event = DomainEvent::ThreadUpdated {
                thread_id: thread,
                title: Some(format!("title {i}")),
                archived: None,
                timestamp: Utc::now(),
                marked_read: false,
            };
            log.append(stream, NewEvent::new(event)).expect("an append commits");
        }
        let mut read = Vec::new();
        log.scan(|e| read.push((e.sequence, e.stream_version))).expect("the table reads back");
        assert_eq!(read, vec![(1, 1), (2, 2), (3, 3)], "sequence and version both count from 1");
        assert!(log.bytes_on_disk().expect("sizes are known") > 0);
    }
}
