//! Upgrade safety: a store from a newer Coder opens read-only and untouched; the stores written by
//! each earlier format version (the checked-in fixtures) keep reading the same, forever.

use std::path::{Path, PathBuf};

use coder_domain::*;
use coder_store::tables::{
    EVENTS, EVENT_CHECKSUMS, FORMAT_V1, FORMAT_VERSION, META, META_FORMAT_VERSION, META_MAX_SCHEMA,
    SNAPSHOT_CHECKSUMS,
};
use coder_store::{checksum, AppendError, AppendRequest, EventStore, ExpectedVersion};

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

/// A checked-in fixture file, by name.
fn fixture_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

const V1_STORE: &str = "store_v1.redb";
const V1_EXPORT: &str = "store_v1.jsonl";
const V2_STORE: &str = "store_v2.redb";
const V2_EXPORT: &str = "store_v2.jsonl";

/// Writes the sample store as fixture `store_name`, compacted, and its export as
/// `export_name`, with this build's format; only ever when they are missing.
fn write_fixture(store_name: &str, export_name: &str) {
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
    std::fs::copy(&path, fixture_file(store_name)).unwrap();
    std::fs::write(fixture_file(export_name), export).unwrap();
}

/// Writes the fixture of this build's format if it is missing (and fails, so that it gets
/// reviewed and committed); a fixture of an older format can no longer be written.
fn ensure_fixture(store_name: &str, export_name: &str, format: u64) {
    if fixture_file(store_name).exists() && fixture_file(export_name).exists() {
        return;
    }
    assert_eq!(format, FORMAT_VERSION, "the format {format} fixture is gone and this build cannot write it");
    write_fixture(store_name, export_name);
    panic!("{store_name} and {export_name} were missing and have been written; review and commit them");
}

/// The format stamped in a fixture, read from a copy (a raw open may recover the file) without
/// opening it as a store (which would upgrade it).
fn stamped_format(name: &str) -> Option<u64> {
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    std::fs::copy(fixture_file(name), &path).unwrap();
    with_raw_db(&path, |db| {
        use redb::ReadableDatabase;
        db.begin_read()
            .unwrap()
            .open_table(META)
            .unwrap()
            .get(META_FORMAT_VERSION)
            .unwrap()
            .map(|v| v.value())
    })
}

/// Opens a copy of a fixture and checks that everything in it reads back as it was written:
/// every event, the indexes, the blobs and the snapshot; that it verifies clean, exports to
/// the same bytes and takes new appends. Returns the verify report.
fn assert_fixture_reads_the_same(store_name: &str, export_name: &str) -> coder_store::VerifyReport {
    let expected_lines = std::fs::read_to_string(fixture_file(export_name)).unwrap();
    let (expected, blobs): (Vec<_>, Vec<_>) =
        expected_lines.lines().partition(|line| !line.starts_with("{\"blob\""));
    let expected: Vec<EventEnvelope> = expected
        .iter()
        .map(|line| serde_json::from_str(line).expect("a fixture export line parses"))
        .collect();
    assert_eq!(expected.len(), 20, "the fixture holds one event of each variant");
    assert_eq!(blobs.len(), 2, "and the two contents of its file change");

    // Work on a copy: opening a store may recover or upgrade it, and the fixture must stay as written.
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    std::fs::copy(fixture_file(store_name), &path).unwrap();
    let store = EventStore::open(&path).expect("the fixture store opens");
    assert_eq!(store.read_only_reason(), None, "this build writes {store_name} stores");
    // The fixtures hold schema-version-1 events: they read back upcast to this build's version,
    // otherwise as written (version 2 only added variants).
    assert!(expected.iter().all(|e| e.schema_version == 1), "the fixture was written with event schema 1");
    let upcast: Vec<EventEnvelope> =
        expected.iter().cloned().map(|e| EventEnvelope { schema_version: SCHEMA_VERSION, ..e }).collect();
    assert_eq!(all_events(&store), upcast, "every event of {store_name} reads back as it was written");
    let types: Vec<&str> = expected.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, EVENT_TYPES[..20], "one of each schema-1 variant, in declaration order");
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
        .expect("the fixture's snapshot reads");
    assert_eq!(
        (stored.sequence, stored.version, stored.bytes),
        (snapshot.sequence, snapshot.version, snapshot.bytes)
    );
    let report = coder_store::verify(&store).unwrap();
    assert!(report.is_ok(), "{store_name} verifies clean: {:?}", report.problems);
    assert_eq!((report.events, report.streams, report.blobs_checked), (20, 3, 2));

    let mut export = Vec::new();
    coder_store::export(&store, &mut export, &mut |_, _| {}).unwrap();
    assert_eq!(
        String::from_utf8(export).unwrap(),
        expected_lines.replace("\"schema_version\":1,", &format!("\"schema_version\":{SCHEMA_VERSION},")),
        "{store_name} exports as it did when written, its events upcast"
    );

    let thread = fixture::thread();
    let next = append(&store, StreamId::Thread(thread), ExpectedVersion::Exact(6), messages(thread, 1));
    assert_eq!(
        (next[0].sequence, next[0].stream_version),
        (21, 7),
        "{store_name} takes new events after its own"
    );
    report
}

#[test]
fn the_store_written_by_format_version_1_keeps_reading_the_same() {
    ensure_fixture(V1_STORE, V1_EXPORT, FORMAT_V1);
    assert_eq!(stamped_format(V1_STORE), Some(FORMAT_V1), "the v1 fixture is a format 1 store");
    assert_fixture_reads_the_same(V1_STORE, V1_EXPORT);
}

#[test]
fn the_store_written_by_format_version_2_keeps_reading_the_same() {
    ensure_fixture(V2_STORE, V2_EXPORT, 2);
    assert_eq!(stamped_format(V2_STORE), Some(2), "the v2 fixture is a format 2 store");
    // Checked on a copy: a raw open may recover the file, and the fixture must stay as written.
    let dir = tempfile::tempdir().unwrap();
    let raw = store_path(&dir);
    std::fs::copy(fixture_file(V2_STORE), &raw).unwrap();
    // The checksums were written with the events, not computed by an upgrade; each must still be
    // what this build computes from the stored bytes, or the checksum format changed.
    with_raw_db(&raw, |db| {
        use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
        let txn = db.begin_read().unwrap();
        let events = txn.open_table(EVENTS).unwrap();
        let sums = txn.open_table(EVENT_CHECKSUMS).unwrap();
        let mut count = 0;
        for entry in events.iter().unwrap() {
            let (seq, record) = entry.unwrap();
            let stored = sums.get(seq.value()).unwrap().map(|s| s.value());
            assert_eq!(
                stored,
                Some(checksum::event(seq.value(), record.value())),
                "event {} carries the checksum it was written with",
                seq.value()
            );
            count += 1;
        }
        assert_eq!(count, 20, "every event of the fixture was checked");
        assert_eq!(txn.open_table(SNAPSHOT_CHECKSUMS).unwrap().len().unwrap(), 1, "and its snapshot has one");
    });
    let report = assert_fixture_reads_the_same(V2_STORE, V2_EXPORT);
    assert_eq!(
        (report.checksums_checked, report.snapshots_checked, report.unchecked),
        (20, 1, 0),
        "every event and the snapshot of a format 2 store are checked against their stored checksums"
    );
}

#[test]
fn the_fixtures_are_small() {
    for name in [V1_STORE, V2_STORE] {
        let Ok(meta) = std::fs::metadata(fixture_file(name)) else { continue };
        assert!(meta.len() < 100 * 1024, "the checked-in {name} stays small: {} bytes", meta.len());
    }
}

#[test]
fn a_v1_store_is_upgraded_to_checksums_by_its_first_writable_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = store_path(&dir);
    std::fs::copy(fixture_file(V1_STORE), &path).unwrap();
    let store = EventStore::open(&path).expect("a v1 store opens");
    let report = coder_store::verify(&store).unwrap();
    assert!(report.is_ok(), "the upgraded store verifies clean: {:?}", report.problems);
    assert_eq!(report.checksums_checked, 20, "every v1 event gained a checksum");
    assert_eq!(report.snapshots_checked, 1, "and the v1 snapshot");
    assert_eq!(report.unchecked, 0);
    store.close();
    let format = with_raw_db(&path, |db| {
        use redb::ReadableDatabase;
        db.begin_read()
            .unwrap()
            .open_table(META)
            .unwrap()
            .get(META_FORMAT_VERSION)
            .unwrap()
            .map(|v| v.value())
    });
    assert_eq!(format, Some(FORMAT_VERSION), "the upgrade stamps the current format once it is done");
}

#[cfg(unix)]
#[test]
fn the_store_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, store) = temp_store();
    store.close();
    let path = store_path(&dir);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a new store holds every conversation: only its owner may read it");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    EventStore::open(&path).unwrap().close();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a writable open tightens a store file others could read");
}
