//! Crash safety: a writer process killed mid-stream loses no acknowledged event and leaves no gap.
//!
//! The test runs this test binary again as a child that appends from several threads and
//! prints the id of every event the store acknowledged; the parent kills it with SIGKILL while
//! it is still appending, reopens the store and looks for every acknowledged id.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use coder_domain::*;
use coder_store::{verify, EventStore, ExpectedVersion};
use uuid::Uuid;

use crate::support::*;

const CHILD_DIR: &str = "CODER_STORE_CRASH_DIR";
const ACKS_BEFORE_KILL: usize = 300;

/// The child's side; does nothing unless the parent test started it.
#[test]
#[ignore = "run by `every_acknowledged_event_survives_a_killed_writer` in a child process"]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else { return };
    let store = EventStore::open(std::path::Path::new(&dir).join(coder_store::STORE_FILE))
        .expect("the child opens the store");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let thread = ThreadId::new();
                loop {
                    let events = messages(thread, 2);
                    let stored = append(&store, StreamId::Thread(thread), ExpectedVersion::Any, events);
                    let mut out = std::io::stdout().lock();
                    for e in stored {
                        writeln!(out, "ack {}", e.event_id).expect("the parent reads");
                    }
                    out.flush().expect("the parent reads");
                }
            });
        }
    });
}

#[test]
fn every_acknowledged_event_survives_a_killed_writer() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash::crash_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child process starts");
    let mut acknowledged = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acknowledged.len() < ACKS_BEFORE_KILL {
        let line = lines.next().expect("the child keeps appending until killed").unwrap();
        if let Some(id) = line.strip_prefix("ack ") {
            acknowledged.push(Uuid::parse_str(id).unwrap());
        }
    }
    child.kill().expect("the child is killed mid-stream");
    child.wait().unwrap();
    // Acks the child printed before it died count too.
    acknowledged.extend(
        lines
            .map_while(Result::ok)
            .filter_map(|l| l.strip_prefix("ack ").and_then(|id| Uuid::parse_str(id).ok())),
    );

    let store = EventStore::open(store_path(&dir))
        .expect("a store whose writer was killed opens (recovering if needed)");
    for id in &acknowledged {
        assert!(store.sequence_of(*id).unwrap().is_some(), "event {id} was acknowledged, so it was durable");
    }
    let all = all_events(&store);
    assert!(all.len() >= acknowledged.len(), "nothing acknowledged is missing");
    assert_eq!(
        sequences(&all),
        (1..=all.len() as u64).collect::<Vec<_>>(),
        "the log has no gap after a crash"
    );
    let report = verify(&store).unwrap();
    assert!(report.is_ok(), "the store is consistent after a crash: {:?}", report.problems);
}
