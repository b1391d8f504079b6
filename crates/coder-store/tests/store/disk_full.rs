//! A full disk: appends fail with a storage error (never a panic, never a lost acknowledged
//! event), and once space is back they succeed again without a restart. Runs on a small tmpfs
//! mounted for the test, which needs root; elsewhere it says why and does nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use coder_domain::*;
use coder_store::{
    export, import, verify, AppendError, AppendRequest, EventStore, ExpectedVersion, ImportError,
    IntegrityCheck, STORE_FILE,
};
use tempfile::TempDir;

use crate::support::*;

/// Size of the file system: small enough to fill in a few seconds.
const TMPFS_SIZE: &str = "8m";
/// Space taken before the store is opened and given back once the disk is full.
const FILLER_BYTES: usize = 2 * 1024 * 1024;
/// Text per event: large, so that the disk fills after a thousand appends or so.
const TEXT_BYTES: usize = 4 * 1024;
/// More appends than fit: reaching this means the disk never filled, a broken test.
const MAX_APPENDS: usize = 20_000;

/// A tmpfs mounted on a temporary directory, unmounted when dropped (also when the test
/// panics), so that no test leaves a mount behind.
struct Tmpfs {
    dir: TempDir,
}

impl Tmpfs {
    /// Mounts it, or says why it cannot (not root, no permission to mount in this container).
    fn mount(size: &str) -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("no temporary directory: {e}"))?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs was refused ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Self { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // The store's writer thread may still be closing the file for a moment after the store
        // was dropped; a busy mount is retried, then detached lazily as a last resort.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let unmounted = Command::new("umount").arg(self.dir.path()).status().is_ok_and(|s| s.success());
            if unmounted {
                return;
            }
            if Instant::now() > deadline {
                let lazy = Command::new("umount").arg("-l").arg(self.dir.path()).status();
                eprintln!(
                    "the test tmpfs at {} was busy; detached lazily: {lazy:?}",
                    self.dir.path().display()
                );
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn big_message(thread: ThreadId, n: usize) -> NewEvent {
    let text = format!("message {n} ") + &"x".repeat(TEXT_BYTES);
    NewEvent::new(user_message(thread, &text))
}

/// Every acknowledged event is stored, as acknowledged, and the log has no gap.
#[track_caller]
fn assert_log_holds(store: &EventStore, acknowledged: &[EventEnvelope], when: &str) {
    let stored = all_events(store);
    let expected: Vec<u64> = (1..=store.last_sequence()).collect();
    assert_eq!(sequences(&stored), expected, "{when}: the log runs 1, 2, 3, … without a gap");
    for ack in acknowledged {
        assert_eq!(
            stored.get(ack.sequence as usize - 1),
            Some(ack),
            "{when}: acknowledged event {} is stored as acknowledged",
            ack.sequence
        );
    }
}

/// A small tmpfs to fill. Mounting needs root: as root (as `make test` runs) a failure to mount
/// fails the test; as anyone else the test says why it cannot run and passes over it.
fn small_disk() -> Option<Tmpfs> {
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|ids| ids.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false);
    match Tmpfs::mount(TMPFS_SIZE) {
        Ok(tmpfs) => Some(tmpfs),
        Err(reason) if root => panic!("as root, a tmpfs must mount for the disk-full tests: {reason}"),
        Err(reason) => {
            eprintln!("not run: the disk-full tests mount a tmpfs, which needs root ({reason})");
            None
        }
    }
}

#[test]
fn a_full_disk_fails_appends_cleanly_and_they_succeed_again_once_space_is_back() {
    let Some(tmpfs) = small_disk() else { return };
    let filler = tmpfs.path().join("filler");
    std::fs::write(&filler, vec![0xA5u8; FILLER_BYTES]).expect("the filler fits on the fresh tmpfs");
    let path = tmpfs.path().join(STORE_FILE);
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);

    let store = EventStore::open(&path).expect("a new store opens on the tmpfs");
    let mut acknowledged: Vec<EventEnvelope> = Vec::new();
    let failure = loop {
        assert!(
            acknowledged.len() < MAX_APPENDS,
            "{MAX_APPENDS} appends of {TEXT_BYTES} bytes never filled {TMPFS_SIZE}"
        );
        let request =
            AppendRequest::new(stream, ExpectedVersion::Any, vec![big_message(thread, acknowledged.len())]);
        match store.append_blocking(request) {
            Ok(stored) => acknowledged.extend(stored),
            Err(e) => break e,
        }
    };
    eprintln!("disk full after {} acknowledged appends: {failure}", acknowledged.len());
    assert!(!acknowledged.is_empty(), "the tmpfs had room for some appends before it filled");
    assert!(
        matches!(failure, AppendError::Storage(_)),
        "a full disk is a storage failure, reported to the caller, not a panic or a refusal: {failure:?}"
    );
    assert!(failure.to_string().starts_with("storage failure: "), "the message says what failed: {failure}");
    // Whatever happened to the failed commit, what was acknowledged is still readable now.
    assert_log_holds(&store, &acknowledged, "right after the failure");

    std::fs::remove_file(&filler).expect("the filler is removed");
    let next = store
        .append_blocking(AppendRequest::new(
            stream,
            ExpectedVersion::Any,
            vec![big_message(thread, acknowledged.len())],
        ))
        .expect("once space is back the very next append succeeds, without a restart");
    assert_eq!(
        next[0].sequence,
        store.last_sequence(),
        "the new event is the last of the log, right after what the file holds"
    );
    acknowledged.extend(next);
    assert_log_holds(&store, &acknowledged, "after space came back");
    store.close();

    let store = EventStore::open(&path).expect("the store opens again after the full disk");
    assert_log_holds(&store, &acknowledged, "after reopening");
    let report = verify(&store).expect("verify reads the store");
    assert!(report.is_ok(), "nothing of the failed transaction is half there: {:?}", report.problems);
    assert_eq!(report.integrity, IntegrityCheck::Passed, "redb finds every page intact");
    assert_eq!(report.unchecked, 0, "every event carries its checksum");
    store.close();
    drop(tmpfs);
}

#[test]
fn an_import_that_runs_out_of_space_leaves_the_store_empty() {
    let Some(tmpfs) = small_disk() else { return };
    // An export larger than the tmpfs, in more than one of import's chunks (2000 events): the
    // first chunk alone would fit, so a chunk-by-chunk commit would leave it behind.
    let (_source_dir, source) = temp_store();
    let thread = ThreadId::new();
    let events = (0..4000)
        .map(|n| NewEvent::new(user_message(thread, &format!("{n} {}", "y".repeat(2048)))))
        .collect();
    append(&source, StreamId::Thread(thread), ExpectedVersion::NoStream, events);
    let mut bytes = Vec::new();
    export(&source, &mut bytes, &mut |_, _| {}).unwrap();
    source.close();

    let filler = tmpfs.path().join("filler");
    std::fs::write(&filler, vec![0xA5u8; FILLER_BYTES]).expect("the filler fits on the fresh tmpfs");
    let path = tmpfs.path().join(STORE_FILE);
    let store = EventStore::open(&path).expect("a new store opens on the tmpfs");
    let outcome = import(&store, &mut &bytes[..], &mut |_, _| {});
    assert!(
        matches!(outcome, Err(ImportError::Append(AppendError::Storage(_)))),
        "an import that does not fit fails as a storage failure: {outcome:?}"
    );
    assert_eq!(store.last_sequence(), 0, "nothing of the failed import counts as stored");
    assert!(all_events(&store).is_empty(), "and nothing of it reads");
    store.close();
    // The aborted import leaves the file as large as it grew (redb reuses that space, it does not
    // give it back), so the disk stays full until something else frees space.
    std::fs::remove_file(&filler).expect("the filler is removed");

    let store = EventStore::open(&path).expect("the store opens again after the failed import");
    assert!(all_events(&store).is_empty(), "not one chunk of the import was committed");
    assert_eq!(store.stats().unwrap().blobs, 0);
    let report = verify(&store).expect("verify reads the store");
    assert!(report.is_ok(), "the store is consistent: {:?}", report.problems);
    let small = append(&store, StreamId::Thread(thread), ExpectedVersion::Any, messages(thread, 1));
    assert_eq!(small[0].sequence, 1, "once space is back the store takes events again, from sequence 1");
    store.close();
    drop(tmpfs);
}
