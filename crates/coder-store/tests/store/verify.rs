//! `verify`: clean on a healthy store, specific about what is wrong on a damaged one.

use coder_domain::*;
use coder_store::tables::{BLOBS, CORRELATIONS, EVENTS, EVENT_CHECKSUMS, EVENT_IDS, STREAMS};
use coder_store::{
    checksum, codec, verify, EventStore, ExpectedVersion, IntegrityCheck, ReadError, VerifyReport,
};
use redb::ReadableTable;

use crate::fixture;
use crate::support::*;

/// The fixture sample in a closed store; returns its directory.
fn sample_store() -> tempfile::TempDir {
    let (dir, store) = temp_store();
    fixture::write_sample(&store);
    let report = verify(&store).unwrap();
    assert!(report.is_ok(), "a store written through the writer verifies clean: {:?}", report.problems);
    assert_eq!((report.events, report.streams, report.blobs_checked), (20, 3, 2));
    store.close();
    dir
}

fn verify_file(dir: &tempfile::TempDir) -> VerifyReport {
    let store = EventStore::open(store_path(dir)).expect("a damaged store still opens");
    verify(&store).expect("verify reads a damaged store")
}

#[track_caller]
fn assert_reports(report: &VerifyReport, mentions: &str) {
    assert!(!report.is_ok(), "the damage is found");
    assert!(
        report.problems.iter().any(|p| p.contains(mentions)),
        "a problem says `{mentions}`: {:?}",
        report.problems
    );
}

#[test]
fn a_sequence_gap_is_reported() {
    let dir = sample_store();
    // An event written behind the writer's back at 22, fully indexed, so the gap is the only fault.
    let thread = ThreadId::new();
    let envelope =
        NewEvent::new(user_message(thread, "stray")).into_envelope(22, StreamId::Thread(thread), 1);
    let record = codec::encode(&envelope).unwrap();
    raw_write(&store_path(&dir), |txn| {
        txn.open_table(EVENTS).unwrap().insert(22, record.as_slice()).unwrap();
        txn.open_table(EVENT_CHECKSUMS).unwrap().insert(22, checksum::event(22, &record)).unwrap();
        txn.open_table(STREAMS).unwrap().insert((envelope.stream.to_key(), 1), 22).unwrap();
        txn.open_table(CORRELATIONS).unwrap().insert((envelope.correlation_id.as_u128(), 22), ()).unwrap();
        txn.open_table(EVENT_IDS).unwrap().insert(envelope.event_id.as_u128(), 22).unwrap();
    });
    let report = verify_file(&dir);
    assert_eq!(
        report.problems,
        vec!["sequence gap: expected 21, found 22".to_string()],
        "the gap, and nothing else, is reported"
    );
}

#[test]
fn a_missing_blob_is_reported() {
    let dir = sample_store();
    raw_write(&store_path(&dir), |txn| {
        let mut blobs = txn.open_table(BLOBS).unwrap();
        let removed = blobs.remove(ContentHash::of(fixture::AFTER).0).unwrap().is_some();
        assert!(removed, "the blob was there to remove");
    });
    let report = verify_file(&dir);
    assert_reports(&report, &format!("content {} of src/lib.rs is missing", ContentHash::of(fixture::AFTER)));
    assert_eq!(report.problems.len(), 1);
}

#[test]
fn a_broken_index_is_reported() {
    let dir = sample_store();
    let sample = fixture::sample_new_events();
    raw_write(&store_path(&dir), |txn| {
        txn.open_table(STREAMS).unwrap().remove((StreamId::Run(fixture::run()).to_key(), 11)).unwrap();
        txn.open_table(EVENT_IDS).unwrap().remove(sample[3].event_id.as_u128()).unwrap();
        txn.open_table(CORRELATIONS).unwrap().remove((fixture::correlation().as_u128(), 5)).unwrap();
    });
    let report = verify_file(&dir);
    assert_reports(&report, "version 11 points to None, not 17");
    assert_reports(&report, "event id index misses event 4");
    assert_reports(&report, "correlation index misses event 5");
}

#[test]
fn an_undecodable_record_is_reported() {
    let dir = sample_store();
    // Written with a matching checksum, so that decoding is what fails.
    let record = [1u8, 1, 0, 0, 0, 0xc1];
    raw_write(&store_path(&dir), |txn| {
        txn.open_table(EVENTS).unwrap().insert(7, record.as_slice()).unwrap();
        txn.open_table(EVENT_CHECKSUMS).unwrap().insert(7, checksum::event(7, &record)).unwrap();
    });
    let report = verify_file(&dir);
    assert_reports(&report, "event 7 does not decode");
}

#[test]
fn a_clean_store_passes_redb_integrity_check_and_every_checksum() {
    let (_dir, store) = temp_store();
    fixture::write_sample(&store);
    let report = verify(&store).unwrap();
    assert_eq!(report.integrity, IntegrityCheck::Passed, "verify runs redb's own check of the file");
    assert_eq!(report.checksums_checked, 20, "every event's checksum is checked");
    assert_eq!(report.unchecked, 0, "a store written by this build has no event without a checksum");
    assert_eq!(report.snapshots_checked, 1, "and the snapshot's");
    assert_eq!(report.blobs_hashed, 2, "and every blob against its hash");
    let thread = ThreadId::new();
    append(&store, StreamId::Thread(thread), ExpectedVersion::NoStream, messages(thread, 3));
    let report = verify(&store).unwrap();
    assert!(report.is_ok(), "the writer still works after the check: {:?}", report.problems);
    assert_eq!(report.checksums_checked, 23);
}

/// Flips one bit of the text of event `seq` in the file, as a failing disk would, leaving the
/// record valid MessagePack that decodes to other text. Every copy of the text is changed: redb
/// copies pages on write, so free pages may still hold older copies of a leaf.
fn flip_text_bit(dir: &tempfile::TempDir, seq: u64, text: &str) {
    let path = store_path(dir);
    let mut bytes = std::fs::read(&path).unwrap();
    let copies: Vec<usize> = bytes
        .windows(text.len())
        .enumerate()
        .filter(|(_, w)| *w == text.as_bytes())
        .map(|(at, _)| at)
        .collect();
    assert!(!copies.is_empty(), "the text of event {seq} is in the file as written");
    for at in copies {
        bytes[at] ^= 0x01; // 'W' (0x57) becomes 'V' (0x56)
    }
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn a_flipped_bit_in_a_message_is_reported_and_never_served() {
    let dir = sample_store();
    // Event 3 is the MessageAdded "Why does it fail? …"
    flip_text_bit(&dir, 3, "Why does it fail?");
    let store = EventStore::open(store_path(&dir)).expect("a store with one damaged record opens");
    let read = store.read_from(1, usize::MAX);
    assert_eq!(read, Err(ReadError::Damaged { sequence: 3 }), "the read names the damaged event");
    let message = read.unwrap_err().to_string();
    assert!(message.contains("event 3 is damaged"), "the error says which event: {message}");
    assert_eq!(
        store.read_sequences([3]),
        Err(ReadError::Damaged { sequence: 3 }),
        "a direct read is refused as well"
    );
    assert_eq!(store.read_sequences([2]).unwrap().len(), 1, "the other events still read");
    let report = verify(&store).unwrap();
    assert_reports(&report, "event 3 is damaged: its stored bytes do not match their checksum");
    assert!(
        !format!("{report:?}").contains("Vhy does it fail"),
        "the altered text is never part of what verify shows: {:?}",
        report.problems
    );
}

#[test]
fn a_missing_checksum_is_damage() {
    let dir = sample_store();
    raw_write(&store_path(&dir), |txn| {
        txn.open_table(EVENT_CHECKSUMS).unwrap().remove(5).unwrap().expect("event 5 had a checksum");
    });
    let store = EventStore::open(store_path(&dir)).unwrap();
    assert_eq!(store.read_sequences([5]), Err(ReadError::ChecksumMissing { sequence: 5 }));
    let report = verify(&store).unwrap();
    assert_reports(&report, "event 5 is damaged: its checksum is missing");
    assert_reports(&report, "19 event checksums are stored for 20 events");
}

#[test]
fn a_record_moved_to_another_sequence_fails_its_checksum() {
    let dir = sample_store();
    raw_write(&store_path(&dir), |txn| {
        let mut events = txn.open_table(EVENTS).unwrap();
        let record = events.get(4).unwrap().unwrap().value().to_vec();
        events.insert(5, record.as_slice()).unwrap();
    });
    let store = EventStore::open(store_path(&dir)).unwrap();
    assert_eq!(
        store.read_sequences([5]),
        Err(ReadError::Damaged { sequence: 5 }),
        "the checksum covers the sequence, so event 4's intact bytes are not served as event 5"
    );
}

#[test]
fn a_damaged_blob_is_reported_and_never_served() {
    let dir = sample_store();
    raw_write(&store_path(&dir), |txn| {
        txn.open_table(BLOBS)
            .unwrap()
            .insert(ContentHash::of(fixture::AFTER).0, b"afteR".as_slice())
            .unwrap();
    });
    let store = EventStore::open(store_path(&dir)).unwrap();
    assert_eq!(
        store.blob(ContentHash::of(fixture::AFTER)),
        Err(ReadError::BlobDamaged { hash: ContentHash::of(fixture::AFTER) }),
        "a blob is checked against its hash when read"
    );
    assert!(store.blobs().is_err(), "also when all are read");
    assert_reports(&verify(&store).unwrap(), "is damaged: it no longer matches its hash");
}

#[test]
fn a_damaged_snapshot_is_skipped_and_reported() {
    let dir = sample_store();
    let snapshot = fixture::sample_snapshot();
    raw_write(&store_path(&dir), |txn| {
        let mut table = txn.open_table(coder_store::tables::SNAPSHOTS).unwrap();
        let key = (snapshot.projection.as_str(), snapshot.key.as_slice(), snapshot.sequence);
        let mut record = table.get(key).unwrap().unwrap().value().to_vec();
        *record.last_mut().unwrap() ^= 0x20;
        table.insert(key, record.as_slice()).unwrap();
    });
    let store = EventStore::open(store_path(&dir)).unwrap();
    assert_eq!(
        store.snapshot(&snapshot.projection, &snapshot.key, u64::MAX).unwrap(),
        None,
        "a damaged snapshot is not restored; the projection is rebuilt from events instead"
    );
    assert_reports(&verify(&store).unwrap(), "the chat_view snapshot at event 6 is damaged");
}
