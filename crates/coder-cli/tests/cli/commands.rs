//! Each command's happy path and its clear failures.

use coder_store::{EventStore, STORE_FILE};
use tempfile::TempDir;

use crate::{coder, stderr, stdout};

fn seeded() -> TempDir {
    let dir = TempDir::new().unwrap();
    let out = coder(dir.path(), &["stress", "--events", "300", "--producers", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let acks = stdout(&out).lines().filter(|l| l.starts_with("acked ")).count();
    assert_eq!(acks, 300, "stress acknowledges every event it appends");
    dir
}

#[test]
fn stats_counts_what_is_stored() {
    let dir = seeded();
    let out = coder(dir.path(), &["--json", "stats"]);
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["events"], 300);
    assert_eq!(stats["last_sequence"], 300);
    assert_eq!(stats["threads"], 2, "two producers, one thread each for 300 events");
    assert!(stats["bytes_on_disk"].as_u64().unwrap() > 0);
}

#[test]
fn threads_and_show_now_and_in_the_past() {
    let dir = seeded();
    let out = coder(dir.path(), &["--json", "threads"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let threads: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(threads.len(), 2);
    let id = threads[0]["id"].as_str().unwrap();
    let now = coder(dir.path(), &["--json", "show", id]);
    assert!(now.status.success(), "{}", stderr(&now));
    let now: serde_json::Value = serde_json::from_slice(&now.stdout).unwrap();
    let past = coder(dir.path(), &["--json", "show", &id[..30], "--at", "10"]);
    assert!(past.status.success(), "a unique prefix names the thread: {}", stderr(&past));
    let past: serde_json::Value = serde_json::from_slice(&past.stdout).unwrap();
    let len = |v: &serde_json::Value| v["entries"].as_array().unwrap().len();
    assert!(len(&past) < len(&now), "the thread had fewer entries at event 10");
    let text = coder(dir.path(), &["show", id]);
    assert!(stdout(&text).contains("Please run the tests again"), "text output shows the messages");
}

#[test]
fn export_import_export_is_byte_identical() {
    let dir = seeded();
    let first = dir.path().join("first.jsonl");
    let out = coder(dir.path(), &["export", "--out", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let copy = TempDir::new().unwrap();
    let out = coder(copy.path(), &["import", first.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = coder(copy.path(), &["export"]);
    assert_eq!(std::fs::read(&first).unwrap(), second.stdout, "export → import → export is byte-identical");
    let again = coder(copy.path(), &["import", first.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("empty store only"), "{}", stderr(&again));
}

#[test]
fn verify_fails_with_a_report_on_a_damaged_store() {
    let dir = seeded();
    assert!(coder(dir.path(), &["verify"]).status.success());
    {
        let db = redb::Database::open(dir.path().join(STORE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(coder_store::tables::EVENT_IDS).unwrap().pop_last().unwrap();
        txn.commit().unwrap();
    }
    let out = coder(dir.path(), &["verify"]);
    assert_eq!(out.status.code(), Some(1), "a damaged store fails verify");
    assert!(stdout(&out).contains("event id index"), "the report names the problem: {}", stdout(&out));
}

#[test]
fn clear_messages_for_a_missing_locked_or_newer_store() {
    let empty = TempDir::new().unwrap();
    let out = coder(empty.path(), &["stats"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no Coder data"), "{}", stderr(&out));
    assert!(!empty.path().join(STORE_FILE).exists(), "reading creates nothing");

    let dir = seeded();
    let held = EventStore::open(dir.path().join(STORE_FILE)).unwrap();
    let out = coder(dir.path(), &["threads"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("in use by a running Coder app"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    held.close();

    {
        let db = redb::Database::open(dir.path().join(STORE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(coder_store::tables::META)
            .unwrap()
            .insert(coder_store::tables::META_FORMAT_VERSION, 99)
            .unwrap();
        txn.commit().unwrap();
    }
    let before = std::fs::read(dir.path().join(STORE_FILE)).unwrap();
    let out = coder(dir.path(), &["threads"]);
    assert!(out.status.success(), "a newer store still reads: {}", stderr(&out));
    assert!(stderr(&out).contains("newer version of Coder"), "{}", stderr(&out));
    let out = coder(dir.path(), &["stress", "--events", "1"]);
    assert!(!out.status.success(), "a newer store refuses writes");
    assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join(STORE_FILE)).unwrap(), before, "and is never rewritten");
}

#[test]
fn a_failed_import_leaves_nothing_behind() {
    let dir = seeded();
    let export = dir.path().join("export.jsonl");
    assert!(coder(dir.path(), &["export", "--out", export.to_str().unwrap()]).status.success());
    let mut text = std::fs::read_to_string(&export).unwrap();
    text.push_str("{\"not\": \"an envelope\"}\n");
    std::fs::write(&export, text).unwrap();
    let target = TempDir::new().unwrap();
    let out = coder(target.path(), &["import", export.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("line"), "the refusal names the line: {}", stderr(&out));
    let left: Vec<_> = std::fs::read_dir(target.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "no store and no half-imported file is left: {left:?}");
}

/// Flips one bit in every copy of `text` in the store file, as a failing disk would: the record
/// stays valid MessagePack that decodes to other text, so only its checksum can tell.
fn flip_bit_in_every_copy(dir: &TempDir, text: &str) {
    let path = dir.path().join(STORE_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let copies: Vec<usize> = bytes
        .windows(text.len())
        .enumerate()
        .filter(|(_, w)| *w == text.as_bytes())
        .map(|(at, _)| at)
        .collect();
    assert!(!copies.is_empty(), "the text is in the file as written");
    for at in copies {
        bytes[at] ^= 0x01; // 'P' (0x50) becomes 'Q' (0x51)
    }
    std::fs::write(&path, bytes).unwrap();
}

#[test]
fn a_flipped_bit_fails_verify_and_is_never_shown() {
    let dir = seeded();
    let out = coder(dir.path(), &["verify"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let clean = stdout(&out);
    assert!(
        clean.contains("300 checksums match, 0 unchecked, redb integrity ok"),
        "the report names what was checked: {clean}"
    );
    let threads = coder(dir.path(), &["--json", "threads"]);
    let threads: Vec<serde_json::Value> = serde_json::from_slice(&threads.stdout).unwrap();

    flip_bit_in_every_copy(&dir, "Please run the tests again");

    let out = coder(dir.path(), &["verify"]);
    assert_eq!(out.status.code(), Some(1), "a damaged store fails verify: {}", stdout(&out));
    assert!(
        stdout(&out).contains("is damaged: its stored bytes do not match their checksum"),
        "the report says which events are damaged and how: {}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("not consistent"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("Qlease"), "verify never shows the altered text");

    let mut refused = 0;
    for thread in &threads {
        let id = thread["id"].as_str().unwrap();
        let show = coder(dir.path(), &["show", id]);
        assert!(!stdout(&show).contains("Qlease"), "the altered text is never printed: {}", stdout(&show));
        assert!(!stderr(&show).contains("panicked"), "{}", stderr(&show));
        if !show.status.success() {
            assert!(
                stderr(&show).contains("damaged"),
                "the refusal says the store is damaged: {}",
                stderr(&show)
            );
            refused += 1;
        }
    }
    assert!(refused > 0, "showing a thread with a damaged message is refused");
}
