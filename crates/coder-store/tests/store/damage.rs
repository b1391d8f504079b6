//! Damaged files: a store whose bytes were changed outside it — flipped bits, overwritten
//! ranges, a truncated file, zeroed pages — opens or fails with a clear error, and what it
//! serves is exactly what was written or an error, never altered data and never a panic.
//!
//! The parent test writes a real store (about 300 events over several streams, blobs and
//! snapshots), then runs this test binary again as a child that makes seeded, deterministic
//! damaged copies of it one by one and, for each, opens it, reads everything and verifies it,
//! comparing every read with the original. Running the checks in a child means that even an
//! abort or a hang inside redb would be caught and counted (the parent restarts the child after
//! the case that killed it) rather than taking the test run down.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use coder_domain::*;
use coder_store::{verify, AppendRequest, EventStore, ExpectedVersion, SnapshotWrite};

use crate::fixture;
use crate::support::*;

const CHILD_DIR: &str = "CODER_STORE_DAMAGE_DIR";
const CHILD_FROM: &str = "CODER_STORE_DAMAGE_FROM";
/// Damaged copies tried; every kind of damage gets a quarter of them.
const CASES: u64 = 240;
const SEED: u64 = 0x00c0_de5e_ed00_2026;
/// A case that takes longer than this counts as a hang.
const CASE_TIMEOUT: Duration = Duration::from_secs(30);

/// splitmix64: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Case `case` applied to the original bytes: what was done, and the damaged file.
fn damage(original: &[u8], case: u64) -> (String, Vec<u8>) {
    let mut rng = Rng(SEED ^ case.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let mut bytes = original.to_vec();
    let len = bytes.len() as u64;
    let what = match case % 4 {
        0 => {
            let flips = 1 + rng.below(8);
            for _ in 0..flips {
                let bit = rng.below(len * 8);
                bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
            }
            format!("{flips} flipped bits")
        }
        1 => {
            let at = rng.below(len);
            let n = (1 + rng.below(512)).min(len - at);
            for b in &mut bytes[at as usize..(at + n) as usize] {
                *b = rng.next() as u8;
            }
            format!("{n} random bytes at {at}")
        }
        2 => {
            let keep = rng.below(len);
            bytes.truncate(keep as usize);
            format!("truncated to {keep} bytes")
        }
        _ => {
            let pages = len.div_ceil(4096);
            let page = rng.below(pages);
            let start = (page * 4096) as usize;
            let end = (start + 4096).min(bytes.len());
            bytes[start..end].fill(0);
            format!("page {page} zeroed")
        }
    };
    (what, bytes)
}

/// Writes the original store: the fixture sample, then messages in four threads, file changes
/// with their contents, and snapshots, in many transactions. Returns its path.
fn write_original(dir: &Path) -> PathBuf {
    let path = dir.join("original.redb");
    let store = EventStore::open(&path).unwrap();
    fixture::write_sample(&store);
    let project = ProjectId::new();
    for t in 0..4 {
        let thread = ThreadId::new();
        let stream = StreamId::Thread(thread);
        append(&store, stream, ExpectedVersion::NoStream, vec![NewEvent::new(thread_created(thread))]);
        for batch in 0..10 {
            let events = (0..7)
                .map(|i| NewEvent::new(user_message(thread, &format!("thread {t}, message {batch}.{i}"))))
                .collect();
            store.append_blocking(AppendRequest::new(stream, ExpectedVersion::Any, events)).unwrap();
            if batch % 4 == 3 {
                let before = format!("fn v{t}_{batch}() {{}}\n").repeat(40).into_bytes();
                let after = format!("fn v{t}_{batch}() {{ 1 }}\n").repeat(40).into_bytes();
                let change = file_modified(project, &format!("src/f{t}.rs"), &before, &after);
                store
                    .append_blocking(
                        AppendRequest::new(
                            StreamId::Project(project),
                            ExpectedVersion::Any,
                            vec![NewEvent::new(change)],
                        )
                        .with_blobs(vec![before, after]),
                    )
                    .unwrap();
                store
                    .save_snapshot_blocking(SnapshotWrite {
                        projection: "chat_view".into(),
                        key: thread.as_uuid().as_bytes().to_vec(),
                        sequence: store.last_sequence(),
                        version: 1,
                        bytes: format!("snapshot of thread {t} at {batch}").repeat(20).into_bytes(),
                    })
                    .unwrap();
            }
        }
    }
    store.close();
    path
}

/// Everything the original store serves.
struct Expected {
    events: Vec<EventEnvelope>,
    streams: BTreeMap<[u8; 17], Vec<EventEnvelope>>,
    blobs: Vec<(ContentHash, Vec<u8>)>,
    snapshots: Vec<(Vec<u8>, coder_store::StoredSnapshot)>,
}

fn expected(store: &EventStore) -> Expected {
    let events = all_events(store);
    let mut streams: BTreeMap<[u8; 17], Vec<EventEnvelope>> = BTreeMap::new();
    for e in &events {
        streams.entry(e.stream.to_key()).or_default().push(e.clone());
    }
    let mut snapshots = Vec::new();
    for key in snapshot_keys(&events) {
        for at in 0..=events.len() as u64 {
            if let Some(s) = store.snapshot("chat_view", &key, at).unwrap() {
                snapshots.push((key.clone(), s));
            }
        }
    }
    Expected { events, streams, blobs: store.blobs().unwrap(), snapshots }
}

fn snapshot_keys(events: &[EventEnvelope]) -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = events
        .iter()
        .filter_map(|e| match e.stream {
            StreamId::Thread(t) => Some(t.as_uuid().as_bytes().to_vec()),
            _ => None,
        })
        .collect();
    keys.dedup();
    keys
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Some read, open or verify said the store is damaged.
    Detected,
    /// Everything read back exactly as written, and verify found nothing (the damage hit
    /// free space).
    Intact,
    /// A damaged stream index no longer lists some of a stream's events: a stream read served
    /// only events exactly as written, but not all of them, and `verify` reported the damage.
    /// The index is derived from the log and `verify` names the entries; a read cannot know
    /// about entries the index lost.
    IndexLost,
    /// Something was served that differs from what was written: the failure this test exists
    /// to rule out.
    Wrong(String),
}

/// Records an error (which must say something) or compares a value with the original.
fn compare<T: PartialEq, E: std::fmt::Display>(
    what: &str,
    got: Result<T, E>,
    want: impl FnOnce() -> T,
    errors: &mut usize,
) -> Result<(), String> {
    match got {
        Err(e) => {
            assert!(!e.to_string().trim().is_empty(), "an error says what is wrong");
            *errors += 1;
            Ok(())
        }
        Ok(v) if v == want() => Ok(()),
        Ok(_) => Err(format!("{what} differs from what was written")),
    }
}

fn check(path: &Path, want: &Expected) -> Outcome {
    let store = match EventStore::open(path) {
        Ok(store) => store,
        Err(e) => {
            assert!(!e.to_string().is_empty(), "an open error says what is wrong");
            return Outcome::Detected;
        }
    };
    let mut errors = 0;
    let mut lost = 0;
    let result = (|| {
        compare("the log", store.read_from(1, usize::MAX), || want.events.clone(), &mut errors)?;
        for (key, events) in &want.streams {
            let stream = StreamId::from_key(key).unwrap();
            match store.read_stream(stream, 1) {
                Ok(got) if got != *events && got.iter().all(|e| events.contains(e)) => lost += 1,
                other => compare("a stream", other, || events.clone(), &mut errors)?,
            }
        }
        compare("the blobs", store.blobs(), || want.blobs.clone(), &mut errors)?;
        for (key, snapshot) in &want.snapshots {
            // A snapshot is a cache: none at all is fine (replay rebuilds it), another is not.
            match store.snapshot("chat_view", key, snapshot.sequence) {
                Err(_) => errors += 1,
                Ok(None) => {}
                Ok(Some(s)) if want.snapshots.iter().any(|(k, w)| k == key && *w == s) => {}
                Ok(Some(_)) => return Err("a snapshot differs from every one written".to_string()),
            }
        }
        match verify(&store) {
            Ok(report) if report.is_ok() => {}
            _ => errors += 1,
        }
        Ok(())
    })();
    store.close();
    match result {
        Err(wrong) => Outcome::Wrong(wrong),
        Ok(()) if lost > 0 && errors > 0 => Outcome::IndexLost,
        Ok(()) if lost > 0 => Outcome::Wrong("a stream lost events and verify did not notice".into()),
        Ok(()) if errors > 0 => Outcome::Detected,
        Ok(()) => Outcome::Intact,
    }
}

/// Panics anywhere in the child, including those redb raises inside the store, which the store
/// catches and reports as errors (see `guard` in the store).
static PANICS: AtomicUsize = AtomicUsize::new(0);

/// The child's side; does nothing unless the parent test started it.
#[test]
#[ignore = "run by `damaged_stores_fail_clearly_or_read_correctly` in a child process"]
fn damage_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else { return };
    let dir = PathBuf::from(dir);
    let from: u64 = std::env::var(CHILD_FROM).unwrap().parse().unwrap();
    // Every panic, on any thread (the writer's too), is counted.
    std::panic::set_hook(Box::new(|info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        eprintln!("panic: {info}");
    }));
    let original = std::fs::read(dir.join("original.redb")).unwrap();
    let pristine = dir.join("pristine.redb");
    std::fs::write(&pristine, &original).unwrap();
    let want = {
        let store = EventStore::open(&pristine).unwrap();
        let want = expected(&store);
        store.close();
        want
    };
    let mut out = std::io::stdout().lock();
    for case in from..CASES {
        let (what, bytes) = damage(&original, case);
        writeln!(out, "start {case}").unwrap();
        out.flush().unwrap();
        let path = dir.join(format!("case-{case}.redb"));
        std::fs::write(&path, bytes).unwrap();
        let before = PANICS.load(Ordering::SeqCst);
        let outcome = std::panic::catch_unwind(|| check(&path, &want));
        let caught_inside = PANICS.load(Ordering::SeqCst) - before;
        // A panic that reached this call is a failure; one the store caught and turned into an
        // error is counted apart, as what redb does on damaged pages.
        let verdict = match outcome {
            Err(_) => "panic".to_string(),
            Ok(Outcome::Detected) => "detected".into(),
            Ok(Outcome::Intact) => "intact".into(),
            Ok(Outcome::IndexLost) => "index-lost".into(),
            Ok(Outcome::Wrong(why)) => format!("wrong {why}"),
        };
        writeln!(out, "case {case} {verdict} caught={caught_inside} ({what})").unwrap();
        out.flush().unwrap();
        let _ = std::fs::remove_file(&path);
    }
    writeln!(out, "done").unwrap();
}

#[test]
fn damaged_stores_fail_clearly_or_read_correctly() {
    let dir = tempfile::tempdir().unwrap();
    let original = write_original(dir.path());
    {
        let store = EventStore::open(&original).unwrap();
        assert!(store.last_sequence() >= 300, "a few hundred events: {}", store.last_sequence());
        store.close();
    }
    let (mut detected, mut intact, mut panics, mut caught, mut index_lost) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut wrong = Vec::new();
    // `detected` below includes `index_lost` in the summary line.
    let mut next = 0u64;
    while next < CASES {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["damage::damage_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_FROM, next.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the child process starts");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut started = None;
        loop {
            match rx.recv_timeout(CASE_TIMEOUT) {
                Ok(line) if line == "done" => {
                    next = CASES;
                    break;
                }
                Ok(line) => {
                    let mut words = line.split_whitespace();
                    match (words.next(), words.next().and_then(|n| n.parse::<u64>().ok()), words.next()) {
                        (Some("start"), Some(case), _) => started = Some(case),
                        (Some("case"), Some(case), Some(verdict)) => {
                            started = None;
                            next = case + 1;
                            let inside = words.next().and_then(|w| w.strip_prefix("caught="));
                            caught += inside.and_then(|n| n.parse::<u64>().ok()).map_or(0, |n| n.min(1));
                            match verdict {
                                "detected" => detected += 1,
                                "intact" => intact += 1,
                                "index-lost" => index_lost += 1,
                                "panic" => {
                                    panics += 1;
                                    eprintln!("{line}");
                                }
                                _ => wrong.push(line.clone()),
                            }
                        }
                        _ => {}
                    }
                }
                // The child died or hung inside a case: that case counts as a panic.
                Err(_) => {
                    let _ = child.kill();
                    if let Some(case) = started {
                        eprintln!("case {case}: the child process died or hung");
                        panics += 1;
                        next = case + 1;
                    }
                    break;
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    }
    let found = detected + index_lost;
    eprintln!("damaged stores: tried {CASES}, detected {found}, intact {intact}, panics {panics}");
    eprintln!(
        "  of the detected, {index_lost} were a damaged stream index whose stream reads served fewer events (verify reported it)"
    );
    eprintln!(
        "  of the detected, {caught} were redb panicking on a damaged page, caught and reported as errors"
    );
    assert_eq!(panics, 0, "no damaged file makes the store panic, abort or hang");
    assert!(wrong.is_empty(), "no damaged file serves altered data: {wrong:#?}");
    assert_eq!(detected + intact + index_lost, CASES, "every case was tried and judged");
    assert!(detected > CASES / 2, "most damage is found, not hidden: {detected} of {CASES}");
}
