//! Crash safety: `coder stress` is killed with SIGKILL at random moments, again and again. After
//! every kill the store must hold every event that was acknowledged, with no gap in the
//! sequence, pass `verify`, and take new appends.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coder_domain::{DomainEvent, NewEvent, StreamId, ThreadId, Utc};
use coder_store::{AppendRequest, EventStore, ExpectedVersion, STORE_FILE};
use tempfile::TempDir;

const KILLS: usize = 50;

/// A small xorshift generator: the kill moments vary, and the seed is printed to replay a run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn every_acknowledged_event_survives_sigkill() {
    let dir = TempDir::new().unwrap();
    let seed = std::env::var("CODER_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap_or(1) as u64 | 1);
    eprintln!("crash test seed {seed} (set CODER_CRASH_SEED to replay)");
    let mut rng = Rng(seed);
    let mut all_acked = 0usize;
    for round in 0..KILLS {
        let mut child = crate::coder_command()
            .arg("--data-dir")
            .arg(dir.path())
            .args(["stress", "--events", "100000000", "--producers", "4"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("coder stress starts");
        let acked = Arc::new(Mutex::new(Vec::<u64>::new()));
        let reader = {
            let acked = acked.clone();
            let out = child.stdout.take().unwrap();
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if let Some(seq) = line.strip_prefix("acked ").and_then(|s| s.parse().ok()) {
                        acked.lock().unwrap().push(seq);
                    }
                }
            })
        };
        // Let it start appending, then kill it at a random moment.
        let started = Instant::now();
        while acked.lock().unwrap().is_empty() && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(rng.next() % 120));
        child.kill().expect("SIGKILL is delivered");
        child.wait().unwrap();
        reader.join().unwrap();
        let acked = std::mem::take(&mut *acked.lock().unwrap());
        assert!(!acked.is_empty(), "round {round}: the producer acknowledged nothing before the kill");
        all_acked += acked.len();

        let store = EventStore::open(dir.path().join(STORE_FILE)).expect("the store reopens after a kill");
        let last = store.last_sequence();
        let max_acked = *acked.iter().max().unwrap();
        assert!(max_acked <= last, "round {round}: acknowledged {max_acked} but the store ends at {last}");
        let found = store.read_sequences(acked.iter().copied()).unwrap();
        assert_eq!(found.len(), acked.len(), "round {round}: every acknowledged event is stored");
        let report = coder_store::verify(&store).unwrap();
        assert!(report.is_ok(), "round {round}: verify after a kill: {:?}", report.problems);
        assert_eq!(report.events, last, "round {round}: sequence 1..={last} has no gap");

        let event = DomainEvent::ThreadCreated {
            thread_id: ThreadId::new(),
            title: "after the crash".into(),
            timestamp: Utc::now(),
            project_id: None,
        };
        let thread = match &event {
            DomainEvent::ThreadCreated { thread_id, .. } => *thread_id,
            _ => unreachable!(),
        };
        let request = AppendRequest::new(
            StreamId::Thread(thread),
            ExpectedVersion::NoStream,
            vec![NewEvent::new(event)],
        );
        let stored = store.append_blocking(request).expect("appends continue after a kill");
        assert_eq!(stored[0].sequence, last + 1, "round {round}: the next append continues the sequence");
        store.close();
    }
    eprintln!("{KILLS} kills, {all_acked} acknowledged events, all present");
    let out = crate::coder(dir.path(), &["verify"]);
    assert!(out.status.success(), "coder verify after {KILLS} kills: {}", crate::stdout(&out));
}
