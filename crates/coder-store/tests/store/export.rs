//! Export and import as JSON Lines: byte-identical round trips, and refusals that write nothing.

use coder_domain::*;
use coder_store::{export, import, verify, AppendRequest, EventStore, ExpectedVersion, ImportError};

use crate::fixture;
use crate::support::*;

fn export_bytes(store: &EventStore) -> Vec<u8> {
    let mut out = Vec::new();
    let written = export(store, &mut out, &mut |_, _| {}).expect("the store exports");
    assert_eq!(written, store.last_sequence(), "export writes every event");
    out
}

fn import_bytes(store: &EventStore, bytes: &[u8]) -> Result<u64, ImportError> {
    import(store, &mut &bytes[..], &mut |_, _| {})
}

/// The fixture sample, a second file change and a blob no event refers to.
fn filled_store() -> (tempfile::TempDir, EventStore) {
    let (dir, store) = temp_store();
    fixture::write_sample(&store);
    let project = fixture::project();
    let change =
        NewEvent::new(file_modified(project, "src/main.rs", b"fn main() {}\n", b"fn main() { run() }\n"))
            .with_metadata("source", "watcher");
    store
        .append_blocking(
            AppendRequest::new(StreamId::Project(project), ExpectedVersion::Exact(3), vec![change])
                .with_blobs(vec![b"fn main() {}\n".to_vec(), b"fn main() { run() }\n".to_vec()]),
        )
        .expect("the second file change commits");
    store.put_blobs_blocking(vec![vec![0, 1, 2, 255]]).unwrap();
    (dir, store)
}

/// The export's lines, for tampering.
fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec()).unwrap().lines().map(str::to_string).collect()
}

fn join(lines: &[String]) -> Vec<u8> {
    (lines.join("\n") + "\n").into_bytes()
}

#[track_caller]
fn assert_untouched(store: &EventStore) {
    let stats = store.stats().unwrap();
    assert_eq!(
        (stats.events, stats.blobs, store.last_sequence()),
        (0, 0, 0),
        "a refused import writes nothing"
    );
}

#[test]
fn export_import_export_is_byte_identical() {
    let (_dir, source) = filled_store();
    let first = export_bytes(&source);
    let text = String::from_utf8(first.clone()).unwrap();
    assert_eq!(text.lines().count(), 21 + 5, "one line per event, then one per blob");
    assert!(text.lines().skip(21).all(|l| l.starts_with("{\"blob\":\"")), "blob lines follow the events");

    let (_dir2, target) = temp_store();
    let mut calls = Vec::new();
    let last = import(&target, &mut &first[..], &mut |done, total| calls.push((done, total)))
        .expect("an export imports");
    assert_eq!(last, 21, "import returns the last sequence");
    assert_eq!(calls.last(), Some(&(21, 21)), "progress ends at the total");
    assert_eq!(all_events(&target), all_events(&source), "the imported log equals the exported one");
    assert_eq!(
        target.blobs().unwrap(),
        source.blobs().unwrap(),
        "every blob comes along, the unreferenced one too"
    );
    assert_eq!(export_bytes(&target), first, "export → import → export is byte-identical");
    let report = verify(&target).unwrap();
    assert!(report.is_ok(), "an imported store verifies clean: {:?}", report.problems);
    assert_eq!(report.events, 21);

    // The imported store is a normal store: idempotency and versions continue.
    let retry = fixture::sample_new_events().remove(0);
    let again = target
        .append_blocking(AppendRequest::new(
            StreamId::Thread(fixture::thread()),
            ExpectedVersion::Any,
            vec![retry],
        ))
        .unwrap();
    assert_eq!(again[0].sequence, 1, "imported event ids are indexed");
    let thread = fixture::thread();
    let next = append(&target, StreamId::Thread(thread), ExpectedVersion::Exact(6), messages(thread, 1));
    assert_eq!(next[0].sequence, 22);
}

#[test]
fn an_empty_store_exports_nothing_and_imports_its_empty_export() {
    let (_dir, store) = temp_store();
    let bytes = export_bytes(&store);
    assert!(bytes.is_empty(), "an empty log exports as an empty file");
    let (_dir2, target) = temp_store();
    assert_eq!(import_bytes(&target, &bytes).unwrap(), 0);
}

#[test]
fn import_into_a_store_that_holds_events_is_refused() {
    let (_dir, source) = filled_store();
    let bytes = export_bytes(&source);
    let (_dir2, target) = temp_store();
    let thread = ThreadId::new();
    append(&target, StreamId::Thread(thread), ExpectedVersion::Any, messages(thread, 2));
    match import_bytes(&target, &bytes) {
        Err(ImportError::NotEmpty(2)) => {}
        other => panic!("an import must not mix with an existing log: {other:?}"),
    }
    assert_eq!(target.last_sequence(), 2, "the refused import wrote nothing");
    assert_eq!(target.stats().unwrap().blobs, 0);
}

#[track_caller]
fn assert_refused(tampered: &[String], line: usize, mentions: &str) {
    let (_dir, target) = temp_store();
    match import_bytes(&target, &join(tampered)) {
        Err(ImportError::Invalid { line: l, reason }) => {
            assert_eq!(l, line, "the error points at the offending line ({reason})");
            assert!(reason.contains(mentions), "the reason says what is wrong: {reason}");
        }
        other => panic!("a bad file must be refused: {other:?}"),
    }
    assert_untouched(&target);
}

#[test]
fn a_file_with_a_sequence_gap_is_refused_and_writes_nothing() {
    let (_dir, source) = filled_store();
    let mut tampered = lines(&export_bytes(&source));
    tampered.remove(2);
    assert_refused(&tampered, 3, "expected sequence 3, found 4");
}

#[test]
fn a_file_with_a_stream_version_gap_is_refused_and_writes_nothing() {
    let (_dir, source) = filled_store();
    let mut tampered = lines(&export_bytes(&source));
    tampered[3] = tampered[3].replace("\"stream_version\":4", "\"stream_version\":5");
    assert_refused(&tampered, 4, "expected version 4");
}

#[test]
fn a_file_with_a_malformed_line_is_refused_and_writes_nothing() {
    let (_dir, source) = filled_store();
    let good = lines(&export_bytes(&source));
    let mut tampered = good.clone();
    tampered[4] = "{\"sequence\": 5, not json".into();
    assert_refused(&tampered, 5, "");
    // A bad line at the very end still stops the events before it from being written.
    let mut tampered = good.clone();
    let last = tampered.len() - 1;
    tampered[last] = tampered[last].replace("\"data\":\"", "\"data\":\"AAAA");
    assert_refused(&tampered, last + 1, "does not match its hash");
    let mut tampered = good;
    tampered.push("{\"blob\":\"00\",\"data\":\"not base64!\"}".into());
    let at = tampered.len();
    assert_refused(&tampered, at, "blob data");
}

#[test]
fn a_file_that_repeats_an_event_id_is_refused_and_writes_nothing() {
    let (_dir, source) = filled_store();
    let mut tampered = lines(&export_bytes(&source));
    let first_id = fixture::sample_new_events()[0].event_id.to_string();
    let second_id = fixture::sample_new_events()[1].event_id.to_string();
    tampered[1] = tampered[1].replacen(
        &format!("\"event_id\":\"{second_id}\""),
        &format!("\"event_id\":\"{first_id}\""),
        1,
    );
    assert_ne!(tampered[1], lines(&export_bytes(&source))[1], "the tampering took");
    assert_refused(&tampered, 2, "appears twice");
}

#[test]
fn a_file_from_a_newer_schema_is_refused_and_writes_nothing() {
    let (_dir, source) = filled_store();
    let mut tampered = lines(&export_bytes(&source));
    let newer = format!("\"schema_version\":{}", SCHEMA_VERSION + 1);
    tampered[6] = tampered[6].replace(&format!("\"schema_version\":{SCHEMA_VERSION}"), &newer);
    assert!(tampered[6].contains(&newer), "the tampering took");
    assert_refused(&tampered, 7, "newer");
}
