//! `verify`: clean on a healthy store, specific about what is wrong on a damaged one.

use coder_domain::*;
use coder_store::tables::{BLOBS, CORRELATIONS, EVENTS, EVENT_IDS, STREAMS};
use coder_store::{codec, verify, EventStore, VerifyReport};

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
    raw_write(&store_path(&dir), |txn| {
        txn.open_table(EVENTS).unwrap().insert(7, [1u8, 1, 0, 0, 0, 0xc1].as_slice()).unwrap();
    });
    let report = verify_file(&dir);
    assert_reports(&report, "event 7 does not decode");
}
