//! `verify`: checks the log's invariants — every event decodes, sequences have no gap, every
//! index agrees with the events, every stream's versions run without a gap, and every blob a
//! file change refers to is present.

use std::collections::HashMap;

use coder_domain::{DomainEvent, StreamId};
use redb::ReadableTableMetadata;

use crate::codec;
use crate::error::ReadError;
use crate::store::EventStore;
use crate::tables::*;

/// What `verify` found. Empty `problems` means the store is consistent.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct VerifyReport {
    pub events: u64,
    pub streams: u64,
    pub blobs_checked: u64,
    pub problems: Vec<String>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, text: String) {
        // Keep the report readable: the first few hundred problems tell the story.
        if self.problems.len() < 500 {
            self.problems.push(text);
        }
    }
}

/// Checks the whole store. Only a failure to read at all is an `Err`.
pub fn verify(store: &EventStore) -> Result<VerifyReport, ReadError> {
    store.with_read(|txn| {
        let mut report = VerifyReport::default();
        let events = txn.open_table(EVENTS).map_err(ReadError::storage)?;
        let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
        let correlations = txn.open_table(CORRELATIONS).map_err(ReadError::storage)?;
        let event_ids = txn.open_table(EVENT_IDS).map_err(ReadError::storage)?;
        let blobs = txn.open_table(BLOBS).map_err(ReadError::storage)?;
        let mut stream_counts: HashMap<[u8; 17], u64> = HashMap::new();
        let mut expected_seq = 1u64;
        for entry in events.range::<u64>(..).map_err(ReadError::storage)? {
            let (key, record) = entry.map_err(ReadError::storage)?;
            let seq = key.value();
            if seq != expected_seq {
                report.problem(format!("sequence gap: expected {expected_seq}, found {seq}"));
            }
            expected_seq = seq + 1;
            report.events += 1;
            let envelope = match codec::decode(record.value()) {
                Ok(e) => e,
                Err(e) => {
                    report.problem(format!("event {seq} does not decode: {e}"));
                    continue;
                }
            };
            if envelope.sequence != seq {
                report.problem(format!("event {seq} says it is sequence {}", envelope.sequence));
            }
            let key = envelope.stream.to_key();
            *stream_counts.entry(key).or_insert(0) += 1;
            match streams.get((key, envelope.stream_version)).map_err(ReadError::storage)? {
                Some(s) if s.value() == seq => {}
                other => report.problem(format!(
                    "stream index: {} version {} points to {:?}, not {seq}",
                    envelope.stream,
                    envelope.stream_version,
                    other.map(|s| s.value())
                )),
            }
            if correlations
                .get((envelope.correlation_id.as_u128(), seq))
                .map_err(ReadError::storage)?
                .is_none()
            {
                report.problem(format!("correlation index misses event {seq}"));
            }
            match event_ids.get(envelope.event_id.as_u128()).map_err(ReadError::storage)? {
                Some(s) if s.value() == seq => {}
                _ => report.problem(format!("event id index misses event {seq}")),
            }
            if let DomainEvent::FileChanged { change_type, path, .. } = &envelope.event {
                for hash in [change_type.before(), change_type.after()].into_iter().flatten() {
                    report.blobs_checked += 1;
                    if blobs.get(hash.0).map_err(ReadError::storage)?.is_none() {
                        report.problem(format!("event {seq}: content {hash} of {path} is missing"));
                    }
                }
            }
        }
        report.streams = stream_counts.len() as u64;
        let index_len = streams.len().map_err(ReadError::storage)?;
        if index_len != report.events {
            report.problem(format!("stream index has {index_len} entries for {} events", report.events));
        }
        for (key, count) in &stream_counts {
            let last = streams.range((*key, 0)..=(*key, u64::MAX)).map_err(ReadError::storage)?.next_back();
            let version = match last {
                Some(entry) => entry.map_err(ReadError::storage)?.0.value().1,
                None => 0,
            };
            if version != *count {
                let stream =
                    StreamId::from_key(key).map_or_else(|| "unknown stream".into(), |s| s.to_string());
                report.problem(format!("{stream} has {count} events but reaches version {version}"));
            }
        }
        for (name, len) in [
            ("correlation", correlations.len().map_err(ReadError::storage)?),
            ("event id", event_ids.len().map_err(ReadError::storage)?),
        ] {
            if len != report.events {
                report.problem(format!("{name} index has {len} entries for {} events", report.events));
            }
        }
        Ok(report)
    })
}
