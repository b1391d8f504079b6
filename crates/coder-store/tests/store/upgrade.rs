//! Upgrade safety: a store from a newer Coder opens read-only and untouched; the store written by
//! the first format version keeps reading the same, forever.

use std::path::{Path, PathBuf};

use coder_domain::*;
use coder_store::tables::{FORMAT_VERSION, META, META_FORMAT_VERSION, META_MAX_SCHEMA};
use coder_store::{AppendError, AppendRequest, EventStore, ExpectedVersion};

use crate::fixture;
use crate::support::*;

/// Writes a small store, then raises `key` in its META table past what this build knows.
fn newer_store(dir: &tempfile::TempDir, key: &str, value: u64) -> (PathBuf, Vec<EventEnvelope>) {
    let path = store_path(dir);
    let store = EventStore::open(&path).unwrap();
    let stored = fixture::write_sample(&store);
    store.close();
    raw_write(&path, |txn| {
        txn.open_table(META).unwrap().insert(key, value).unwrap();
    });
    (path, stored)
}

fn assert_read_only_and_untouched(path: &Path, stored: &[EventEnvelope], reason_mentions: &str) {
    let bytes_before = std::fs::read(path).unwrap();
    {
        let store = EventStore::open(path).expect("a newer store still opens, read-only");
        let reason = store.read_only_reason().expect("the store says why it is read-only").to_string();
        assert!(
            reason.contains("newer version of Coder"),
            "the reason tells the person what happened: {reason}"
        );
        assert!(reason.contains(reason_mentions), "the reason names what is newer: {reason}");

        let thread = ThreadId::new();
        let refused = store.append_blocking(AppendRequest::new(
            StreamId::Thread(thread),
            ExpectedVersion::Any,
            messages(thread, 1),
        ));
        assert!(
            matches!(refused, Err(AppendError::ReadOnly(ref r)) if *r == reason),
            "appends are refused: {refused:?}"
        );
        let refused = block_on(store.append(AppendRequest::new(
            StreamId::Thread(thread),
            ExpectedVersion::Any,
            messages(thread, 1),
        )));
        assert!(matches!(refused, Err(AppendError::ReadOnly(_))), "async appends too: {refused:?}");
        assert!(matches!(store.put_blobs_blocking(vec![b"x".to_vec()]), Err(AppendError::ReadOnly(_))));
        assert!(matches!(
            store.save_snapshot_blocking(fixture::sample_snapshot()),
            Err(AppendError::ReadOnly(_))
        ));

        assert_eq!(all_events(&store), stored, "reads still work");
        assert_eq!(store.last_sequence(), stored.len() as u64);
        assert_eq!(store.read_stream(StreamId::Thread(fixture::thread()), 1).unwrap().len(), 6);
        assert!(store
            .snapshot("chat_view", fixture::thread().as_uuid().as_bytes(), u64::MAX)
            .unwrap()
            .is_some());
        let stats = store.stats().unwrap();
        assert_eq!(stats.read_only.as_deref(), Some(reason.as_str()), "stats report the read-only state");
        let mut subscription = store.subscribe(1);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while let Some(e) = subscription.blocking_recv().unwrap() {
                seen.push(e.sequence);
            }
            let _ = tx.send(seen);
        });
        let seen = rx.recv_timeout(std::time::Duration::from_secs(120)).expect(
            "a subscription on a read-only store, which has no writer, ends instead of waiting forever",
        );
        assert_eq!(seen, sequences(stored), "it first serves the stored log");
        assert!(coder_store::verify(&store).unwrap().is_ok());
        store.close();
    }
    assert!(
        std::fs::read(path).unwrap() == bytes_before,
        "opening a newer store must never write to its file"
    );
}

#[test]
fn a_store_with_a_newer_format_opens_read_only_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, stored) = newer_store(&dir, META_FORMAT_VERSION, FORMAT_VERSION + 1);
    assert_read_only_and_untouched(&path, &stored, &format!("store format {}", FORMAT_VERSION + 1));
}

#[test]
fn a_store_with_events_of_a_newer_schema_opens_read_only_and_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (path, stored) = newer_store(&dir, META_MAX_SCHEMA, u64::from(SCHEMA_VERSION) + 1);
    assert_read_only_and_untouched(&path, &stored, &format!("event schema {}", SCHEMA_VERSION + 1));
}

#[test]
fn a_store_records_the_schema_of_its_events() {
    let (dir, store) = temp_store();
    let thread = ThreadId::new();
    append(&store, StreamId::Thread(thread), ExpectedVersion::Any, messages(thread, 1));
    store.close();
    let (format, schema) = with_raw_db(&store_path(&dir), |db| {
        use redb::ReadableDatabase;
        let txn = db.begin_read().unwrap();
        let meta = txn.open_table(META).unwrap();
        let get = |key| meta.get(key).unwrap().map(|v| v.value());
        (get(META_FORMAT_VERSION), get(META_MAX_SCHEMA))
    });
    assert_eq!(format, Some(FORMAT_VERSION), "a new store is stamped with this build's format");
    assert_eq!(
        schema,
        Some(u64::from(SCHEMA_VERSION)),
        "the highest schema written is recorded, so an older build knows to stay read-only"
    );
}

const FIXTURE_STORE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store_v1.redb");
const FIXTURE_EXPORT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store_v1.jsonl");

/// Writes the fixture store and its export; only ever when they are missing.
fn write_fixture() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    let store = EventStore::open(&path).unwrap();
    fixture::write_sample(&store);
    let mut export = Vec::new();
    coder_store::export(&store, &mut export, &mut |_, _| {}).unwrap();
    store.close();
    let mut db = redb::Database::create(&path).unwrap();
    db.compact().expect("the fixture compacts");
    drop(db);
    std::fs::copy(&path, FIXTURE_STORE).unwrap();
    std::fs::write(FIXTURE_EXPORT, export).unwrap();
}

#[test]
fn the_store_written_by_format_version_1_keeps_reading_the_same() {
    if !Path::new(FIXTURE_STORE).exists() || !Path::new(FIXTURE_EXPORT).exists() {
        write_fixture();
        panic!(
            "{FIXTURE_STORE} and {FIXTURE_EXPORT} were missing and have been written; review and commit them"
        );
    }
    let expected_lines = std::fs::read_to_string(FIXTURE_EXPORT).unwrap();
    let (expected, blobs): (Vec<_>, Vec<_>) =
        expected_lines.lines().partition(|line| !line.starts_with("{\"blob\""));
    let expected: Vec<EventEnvelope> =
        expected.iter().map(|line| serde_json::from_str(line).expect("a v1 export line parses")).collect();
    assert_eq!(expected.len(), 20, "the fixture holds one event of each variant");
    assert_eq!(blobs.len(), 2, "and the two contents of its file change");

    // Work on a copy: opening a store may recover or upgrade it, and the fixture must stay as written.
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    std::fs::copy(FIXTURE_STORE, &path).unwrap();
    let store = EventStore::open(&path).expect("a v1 store opens");
    assert_eq!(store.read_only_reason(), None, "this build writes v1 stores");
    assert_eq!(all_events(&store), expected, "every v1 event reads back as it was written");
    let types: Vec<&str> = expected.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, EVENT_TYPES, "one of each variant, in declaration order");
    assert_eq!(store.stream_version(StreamId::Thread(fixture::thread())).unwrap(), 6);
    assert_eq!(store.stream_version(StreamId::Run(fixture::run())).unwrap(), 11);
    assert_eq!(store.stream_version(StreamId::Project(fixture::project())).unwrap(), 3);
    assert_eq!(
        sequences(&store.read_correlation(fixture::correlation()).unwrap()),
        (1..=20).collect::<Vec<_>>()
    );
    for e in &expected {
        assert_eq!(store.sequence_of(e.event_id).unwrap(), Some(e.sequence));
    }
    assert_eq!(store.blob(ContentHash::of(fixture::BEFORE)).unwrap().as_deref(), Some(fixture::BEFORE));
    assert_eq!(store.blob(ContentHash::of(fixture::AFTER)).unwrap().as_deref(), Some(fixture::AFTER));
    let snapshot = fixture::sample_snapshot();
    let stored = store
        .snapshot(&snapshot.projection, &snapshot.key, u64::MAX)
        .unwrap()
        .expect("the v1 snapshot reads");
    assert_eq!(
        (stored.sequence, stored.version, stored.bytes),
        (snapshot.sequence, snapshot.version, snapshot.bytes)
    );
    let report = coder_store::verify(&store).unwrap();
    assert!(report.is_ok(), "a v1 store verifies clean: {:?}", report.problems);
    assert_eq!((report.events, report.streams, report.blobs_checked), (20, 3, 2));

    let mut export = Vec::new();
    coder_store::export(&store, &mut export, &mut |_, _| {}).unwrap();
    assert_eq!(
        String::from_utf8(export).unwrap(),
        expected_lines,
        "a v1 store exports as it did when written"
    );

    let thread = fixture::thread();
    let next = append(&store, StreamId::Thread(thread), ExpectedVersion::Exact(6), messages(thread, 1));
    assert_eq!(
        (next[0].sequence, next[0].stream_version),
        (21, 7),
        "a v1 store takes new events after its own"
    );
}

#[test]
fn the_fixture_is_small() {
    let Ok(meta) = std::fs::metadata(FIXTURE_STORE) else { return };
    assert!(
        meta.len() < 400 * 1024,
        "the checked-in store stays a few hundred KB at most: {} bytes",
        meta.len()
    );
}
