//! `verify`: checks the file and the log's invariants — redb's own integrity check of every page,
//! every event against its checksum, every event decodes, sequences have no gap, every index
//! agrees with the events, every stream's versions run without a gap, every blob a file change
//! refers to is present, every blob matches its hash and every snapshot its checksum.

use std::collections::HashMap;

use coder_domain::{ContentHash, DomainEvent, StreamId};
use redb::ReadableTableMetadata;

use crate::checksum;
use crate::codec;
use crate::error::ReadError;
use crate::file::IntegrityCheck;
use crate::records::Checksums;
use crate::store::EventStore;
use crate::tables::*;

/// What `verify` found. Empty `problems` means the store is consistent.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VerifyReport {
    pub events: u64,
    pub streams: u64,
    /// Blob references of file changes found present.
    pub blobs_checked: u64,
    /// Events whose record matched its checksum.
    pub checksums_checked: u64,
    /// Events read without a checksum to check: those of a format 1 store that was opened
    /// read-only and so could not be upgraded (see `migrate`).
    pub unchecked: u64,
    /// Blobs whose content was hashed and matched its key.
    pub blobs_hashed: u64,
    /// Snapshots whose record matched its checksum.
    pub snapshots_checked: u64,
    /// What redb's own check of the file found.
    pub integrity: IntegrityCheck,
    pub problems: Vec<String>,
}

impl Default for VerifyReport {
    fn default() -> Self {
        Self {
            events: 0,
            streams: 0,
            blobs_checked: 0,
            checksums_checked: 0,
            unchecked: 0,
            blobs_hashed: 0,
            snapshots_checked: 0,
            integrity: IntegrityCheck::Skipped("not run".into()),
            problems: Vec::new(),
        }
    }
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

/// Checks the whole store. Only a failure to read at all is an `Err`; damage is reported as
/// problems, as many as are found (up to a few hundred), never as data.
pub fn verify(store: &EventStore) -> Result<VerifyReport, ReadError> {
    // redb's check first, and alone: it needs every read transaction closed.
    let integrity = store.check_integrity();
    store.with_read(|txn| {
        let mut report = VerifyReport { integrity, ..VerifyReport::default() };
        match &report.integrity {
            IntegrityCheck::Failed(reason) => {
                report.problem(format!("the file fails redb's integrity check: {reason}"))
            }
            // redb rebuilt its allocator state, or went back to its last intact commit: either
            // way the file was not as written, which the person should know.
            IntegrityCheck::Repaired => {
                report.problem("the file failed redb's integrity check and redb repaired it".into())
            }
            IntegrityCheck::Passed | IntegrityCheck::Skipped(_) => {}
        }
        let records = store.records(txn)?;
        let events = records.events();
        let streams = txn.open_table(STREAMS).map_err(ReadError::storage)?;
        let correlations = txn.open_table(CORRELATIONS).map_err(ReadError::storage)?;
        let event_ids = txn.open_table(EVENT_IDS).map_err(ReadError::storage)?;
        let blobs = txn.open_table(BLOBS).map_err(ReadError::storage)?;
        let mut stream_counts: HashMap<[u8; 17], u64> = HashMap::new();
        let mut expected_seq = 1u64;
        for entry in events.range::<u64>(..).map_err(ReadError::storage)? {
            let (key, record) = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    report.problem(format!(
                        "the events table cannot be read past event {}: {e}",
                        expected_seq - 1
                    ));
                    break;
                }
            };
            let seq = key.value();
            if seq != expected_seq {
                report.problem(format!("sequence gap: expected {expected_seq}, found {seq}"));
            }
            expected_seq = seq + 1;
            report.events += 1;
            match records.check(seq, record.value()) {
                Ok(true) => report.checksums_checked += 1,
                Ok(false) => report.unchecked += 1,
                Err(e) => {
                    report.problem(e.to_string());
                    continue;
                }
            }
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
        if store.checksums() == Checksums::Required {
            let sums = txn.open_table(EVENT_CHECKSUMS).map_err(ReadError::storage)?;
            let len = sums.len().map_err(ReadError::storage)?;
            if len != report.events {
                report.problem(format!("{len} event checksums are stored for {} events", report.events));
            }
            check_snapshots(txn, &mut report)?;
        }
        for entry in blobs.range::<[u8; 32]>(..).map_err(ReadError::storage)? {
            let (hash, data) = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    report.problem(format!("the blob table cannot be read: {e}"));
                    break;
                }
            };
            let hash = ContentHash(hash.value());
            if ContentHash::of(data.value()) == hash {
                report.blobs_hashed += 1;
            } else {
                report.problem(ReadError::BlobDamaged { hash }.to_string());
            }
        }
        Ok(report)
    })
}

/// Every snapshot against its checksum, and no checksum without its snapshot.
fn check_snapshots(txn: &redb::ReadTransaction, report: &mut VerifyReport) -> Result<(), ReadError> {
    let snapshots = txn.open_table(SNAPSHOTS).map_err(ReadError::storage)?;
    let sums = txn.open_table(SNAPSHOT_CHECKSUMS).map_err(ReadError::storage)?;
    for entry in snapshots.range::<(&str, &[u8], u64)>(..).map_err(ReadError::storage)? {
        let (key, record) = match entry {
            Ok(entry) => entry,
            Err(e) => {
                report.problem(format!("the snapshot table cannot be read: {e}"));
                return Ok(());
            }
        };
        let (projection, key, sequence) = key.value();
        let expected = checksum::snapshot(projection, key, sequence, record.value());
        match sums.get((projection, key, sequence)).map_err(ReadError::storage)? {
            Some(sum) if sum.value() == expected => report.snapshots_checked += 1,
            Some(_) => report.problem(format!(
                "the {projection} snapshot at event {sequence} is damaged (it is not used; replay rebuilds it)"
            )),
            None => report.problem(format!("the {projection} snapshot at event {sequence} has no checksum")),
        }
    }
    let stored = snapshots.len().map_err(ReadError::storage)?;
    let summed = sums.len().map_err(ReadError::storage)?;
    if stored != summed {
        report.problem(format!("{summed} snapshot checksums are stored for {stored} snapshots"));
    }
    Ok(())
}
