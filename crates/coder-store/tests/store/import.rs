//! Import against hostile input, as properties: whatever the bytes — malformed JSON, wrong or
//! repeated sequences, repeated event ids, over-long lines, garbage, a real export with one line
//! damaged anywhere — import answers with a typed error or imports the whole file, never panics,
//! and a failed import leaves the store exactly as it was.

use coder_domain::*;
use coder_store::{import, import_with_limit, verify, EventStore, ExpectedVersion, ImportError};
use proptest::prelude::*;

use crate::support::*;

/// A real export: the format 1 fixture's, 20 events then 2 blobs.
const EXPORT: &str = include_str!("../fixtures/store_v1.jsonl");
const EVENT_LINES: usize = 20;

fn export_lines() -> Vec<String> {
    EXPORT.lines().map(str::to_string).collect()
}

fn join(lines: &[String]) -> Vec<u8> {
    (lines.join("\n") + "\n").into_bytes()
}

fn import_bytes(store: &EventStore, bytes: &[u8]) -> Result<u64, ImportError> {
    import(store, &mut &bytes[..], &mut |_, _| {})
}

/// What a store holds, for comparing before and after an import.
fn contents(store: &EventStore) -> (Vec<EventEnvelope>, Vec<(ContentHash, Vec<u8>)>) {
    (all_events(store), store.blobs().expect("the blobs read"))
}

/// Imports `bytes` into a fresh store and checks the outcome is all or nothing: either the whole
/// file is in (and verifies clean) or an error left the store empty. Returns the outcome.
fn import_all_or_nothing(bytes: &[u8]) -> Result<u64, ImportError> {
    let (_dir, store) = temp_store();
    let outcome = import_bytes(&store, bytes);
    match &outcome {
        Ok(last) => {
            assert_eq!(store.last_sequence(), *last, "an accepted import stores every event it read");
            assert_eq!(all_events(&store).len() as u64, *last, "and each of them reads back");
            // An export whose blob line was cut out still imports; the missing content is then
            // the one thing verify may report.
            let report = verify(&store).unwrap();
            assert!(
                report.problems.iter().all(|p| p.contains("missing")),
                "an accepted import is otherwise a consistent store: {:?}",
                report.problems
            );
        }
        Err(e) => {
            assert!(!e.to_string().is_empty(), "the error says something");
            assert_eq!(contents(&store), (Vec::new(), Vec::new()), "a refused import writes nothing ({e})");
            assert_eq!(store.stats().unwrap().events, 0, "not even index entries: {e}");
        }
    }
    store.close();
    outcome
}

/// The JSON text of line `line` (0-based) with its first `"key":<number>` set to `value`.
fn with_number(line: &str, key: &str, value: u64) -> String {
    let field = format!("\"{key}\":");
    let at = line.find(&field).expect("the field is in the line") + field.len();
    let end = at + line[at..].find(|c: char| !c.is_ascii_digit()).expect("a number ends");
    format!("{}{value}{}", &line[..at], &line[end..])
}

/// Ways to damage one line of a real export.
#[derive(Debug, Clone)]
enum Damage {
    FlipBit { at: usize, bit: u8 },
    SetByte { at: usize, byte: u8 },
    Truncate { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Delete,
    Duplicate,
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Damage::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Damage::SetByte { at, byte }),
        any::<usize>().prop_map(|at| Damage::Truncate { at }),
        (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Damage::Insert { at, bytes }),
        Just(Damage::Delete),
        Just(Damage::Duplicate),
    ]
}

/// The export with line `index` damaged, as bytes.
fn damaged_export(index: usize, damage: &Damage) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = EXPORT.lines().map(|l| l.as_bytes().to_vec()).collect();
    let line = &mut lines[index];
    match damage {
        Damage::FlipBit { at, bit } => {
            let at = at % line.len();
            line[at] ^= 1 << bit;
        }
        Damage::SetByte { at, byte } => {
            let at = at % line.len();
            line[at] = *byte;
        }
        Damage::Truncate { at } => line.truncate(at % line.len()),
        Damage::Insert { at, bytes } => {
            let at = at % (line.len() + 1);
            line.splice(at..at, bytes.iter().copied());
        }
        Damage::Delete => {
            lines.remove(index);
        }
        Damage::Duplicate => {
            let copy = line.clone();
            lines.insert(index, copy);
        }
    }
    let mut bytes = lines.join(&b"\n"[..]);
    bytes.push(b'\n');
    bytes
}

fn config() -> ProptestConfig {
    // Every case opens a real redb file; a few dozen per property cover the shapes of damage.
    ProptestConfig { cases: 48, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn garbage_is_refused_and_writes_nothing(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        match import_all_or_nothing(&bytes) {
            // Only input with nothing on it but blank lines imports (as nothing).
            Ok(last) => prop_assert_eq!(last, 0, "garbage never imports an event"),
            Err(ImportError::Invalid { .. }) => {}
            Err(other) => prop_assert!(false, "garbage is refused as invalid, with its line: {other:?}"),
        }
    }

    #[test]
    fn a_malformed_line_is_refused_at_its_number(
        good in 0..=EVENT_LINES,
        text in "[{}\\[\\]\":,a-z0-9 ]{0,60}",
    ) {
        let mut lines = export_lines();
        lines.truncate(good);
        prop_assume!(!text.trim().is_empty(), "a blank line is skipped, not malformed");
        lines.push(text);
        match import_all_or_nothing(&join(&lines)) {
            Err(ImportError::Invalid { line, .. }) => {
                prop_assert_eq!(line, good + 1, "the error names the malformed line")
            }
            other => prop_assert!(false, "a malformed line must be refused: {other:?}"),
        }
    }

    #[test]
    fn a_wrong_sequence_is_refused_at_its_line(index in 0..EVENT_LINES, sequence in any::<u64>()) {
        prop_assume!(sequence != index as u64 + 1);
        let mut lines = export_lines();
        lines[index] = with_number(&lines[index], "sequence", sequence);
        match import_all_or_nothing(&join(&lines)) {
            Err(ImportError::Invalid { line, reason }) => {
                prop_assert_eq!(line, index + 1);
                prop_assert!(reason.contains(&format!("expected sequence {}", index + 1)), "{}", reason);
            }
            other => prop_assert!(false, "a sequence out of place must be refused: {other:?}"),
        }
    }

    #[test]
    fn a_repeated_sequence_is_refused(index in 1..EVENT_LINES, from in 0usize..EVENT_LINES) {
        let from = from % index; // an earlier line
        let mut lines = export_lines();
        lines[index] = with_number(&lines[index], "sequence", from as u64 + 1);
        match import_all_or_nothing(&join(&lines)) {
            Err(ImportError::Invalid { line, .. }) => prop_assert_eq!(line, index + 1),
            other => prop_assert!(false, "a sequence used twice must be refused: {other:?}"),
        }
    }

    #[test]
    fn a_repeated_event_id_is_refused(index in 1..EVENT_LINES, from in 0usize..EVENT_LINES) {
        let from = from % index;
        let lines = export_lines();
        let id_of = |line: &str| {
            let envelope: EventEnvelope = serde_json::from_str(line).unwrap();
            envelope.event_id.to_string()
        };
        let mut tampered = lines.clone();
        tampered[index] = lines[index].replacen(&id_of(&lines[index]), &id_of(&lines[from]), 1);
        match import_all_or_nothing(&join(&tampered)) {
            Err(ImportError::Invalid { line, reason }) => {
                prop_assert_eq!(line, index + 1);
                prop_assert!(reason.contains("appears twice"), "{}", reason);
            }
            other => prop_assert!(false, "an event id used twice must be refused: {other:?}"),
        }
    }

    #[test]
    fn a_line_over_the_limit_is_refused_before_it_is_read_whole(limit in 16usize..2048) {
        let lines = export_lines();
        let (_dir, store) = temp_store();
        let outcome = import_with_limit(&store, &mut EXPORT.as_bytes(), &mut |_, _| {}, limit);
        match lines.iter().position(|l| l.len() > limit) {
            Some(first_long) => match outcome {
                Err(ImportError::LineTooLong { line, limit: l }) => {
                    prop_assert_eq!((line, l), (first_long + 1, limit), "the first long line is named");
                }
                other => prop_assert!(false, "a line over the limit must be refused: {other:?}"),
            },
            None => prop_assert_eq!(outcome.ok(), Some(EVENT_LINES as u64)),
        }
        if store.last_sequence() == 0 {
            prop_assert_eq!(contents(&store), (Vec::new(), Vec::new()), "a refused import writes nothing");
        }
    }

    #[test]
    fn a_real_export_with_one_line_damaged_is_refused_there_or_imported_whole(
        index in 0..EVENT_LINES + 2,
        damage in damage(),
    ) {
        match import_all_or_nothing(&damaged_export(index, &damage)) {
            // Some damage leaves a valid export of other content (a letter of a message
            // changed): it imports whole, as checked above.
            Ok(_) => {}
            Err(ImportError::Invalid { line, .. }) => prop_assert!(
                line > index,
                "no line before the damaged one ({}) is blamed: line {line}",
                index + 1
            ),
            Err(other) => prop_assert!(false, "damage is refused as invalid: {other:?}"),
        }
    }
}

#[test]
fn any_import_into_a_store_that_holds_events_leaves_them_as_they_were() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    append(&store, StreamId::Thread(thread), ExpectedVersion::Any, messages(thread, 3));
    let before = contents(&store);
    for input in [EXPORT.as_bytes(), b"", b"\xff\xfe garbage", &damaged_export(3, &Damage::Delete)] {
        match import_bytes(&store, input) {
            Err(ImportError::NotEmpty(3)) => {}
            other => panic!("an import never mixes with an existing log: {other:?}"),
        }
        assert_eq!(contents(&store), before, "the store keeps exactly the events it had");
    }
}

#[test]
fn damage_after_the_first_chunk_still_writes_nothing() {
    // More events than the writer takes per chunk (2000), damaged near the end: nothing of the
    // earlier chunks may stay behind.
    let (_source_dir, source) = temp_store();
    let thread = ThreadId::new();
    append(&source, StreamId::Thread(thread), ExpectedVersion::Any, messages(thread, 2500));
    let mut export = Vec::new();
    coder_store::export(&source, &mut export, &mut |_, _| {}).unwrap();
    let mut lines: Vec<String> = String::from_utf8(export).unwrap().lines().map(str::to_string).collect();
    lines[2399] = with_number(&lines[2399], "stream_version", 7);
    match import_all_or_nothing(&join(&lines)) {
        Err(ImportError::Invalid { line: 2400, reason }) => {
            assert!(reason.contains("expected version 2400"), "the reason names the gap: {reason}")
        }
        other => panic!("a stream version gap at line 2400 must be refused: {other:?}"),
    }
    lines[2399] = with_number(&lines[2399], "stream_version", 2400);
    assert_eq!(import_all_or_nothing(&join(&lines)).ok(), Some(2500), "the repaired file imports whole");
}
