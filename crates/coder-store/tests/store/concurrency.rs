//! Group commit under concurrency: many producers, one writer, no gap, no lost or doubled event.

use std::collections::BTreeMap;
use std::sync::Barrier;

use coder_domain::*;
use coder_store::{AppendError, AppendRequest, ExpectedVersion};

use crate::support::*;

const PRODUCERS: usize = 16;

#[test]
fn many_producers_on_one_stream_and_on_their_own_streams_commit_gaplessly() {
    let (_dir, store) = temp_store();
    let shared_thread = ThreadId::new();
    let shared = StreamId::Thread(shared_thread);
    const APPENDS: usize = 20;
    let barrier = Barrier::new(PRODUCERS);
    // Each producer: (its own stream, what it got back, in the order it got it).
    let outcomes: Vec<(StreamId, Vec<Vec<EventEnvelope>>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let (store, barrier) = (&store, &barrier);
                s.spawn(move || {
                    let own_thread = ThreadId::new();
                    let own = StreamId::Thread(own_thread);
                    let mut own_version = 0;
                    let mut got = Vec::new();
                    barrier.wait();
                    for i in 0..APPENDS {
                        let n = 1 + (p + i) % 3;
                        got.push(append(store, shared, ExpectedVersion::Any, messages(shared_thread, n)));
                        let envelopes =
                            append(store, own, ExpectedVersion::Exact(own_version), messages(own_thread, n));
                        own_version += n as u64;
                        got.push(envelopes);
                    }
                    (own, got)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("producer")).collect()
    });

    let all = all_events(&store);
    let sent: usize = outcomes.iter().flat_map(|(_, got)| got).map(Vec::len).sum();
    assert_eq!(all.len(), sent, "every acknowledged event is stored, none twice");
    assert_eq!(sequences(&all), (1..=sent as u64).collect::<Vec<_>>(), "the global sequence has no gap");
    assert_eq!(store.last_sequence(), sent as u64);

    let by_sequence: BTreeMap<u64, &EventEnvelope> = all.iter().map(|e| (e.sequence, e)).collect();
    for (own, got) in &outcomes {
        let returned: Vec<&EventEnvelope> = got.iter().flatten().collect();
        for envelope in &returned {
            assert_eq!(
                by_sequence[&envelope.sequence], *envelope,
                "an append returns exactly what was stored"
            );
        }
        assert!(
            returned.windows(2).all(|w| w[0].sequence < w[1].sequence),
            "one producer's appends are committed in the order it made them"
        );
        for batch in got {
            assert!(
                batch.windows(2).all(|w| w[1].sequence == w[0].sequence + 1),
                "one batch is contiguous in the log"
            );
        }
        let own_versions: Vec<u64> =
            all.iter().filter(|e| e.stream == *own).map(|e| e.stream_version).collect();
        assert_eq!(
            own_versions,
            (1..=own_versions.len() as u64).collect::<Vec<_>>(),
            "{own} has gapless versions"
        );
        assert_eq!(store.stream_version(*own).unwrap(), own_versions.len() as u64);
    }
    let shared_versions: Vec<u64> =
        all.iter().filter(|e| e.stream == shared).map(|e| e.stream_version).collect();
    assert_eq!(
        shared_versions,
        (1..=shared_versions.len() as u64).collect::<Vec<_>>(),
        "the shared stream's versions run 1, 2, 3, … in sequence order"
    );
    assert_eq!(
        store.read_stream(shared, 1).unwrap().len(),
        shared_versions.len(),
        "the stream index holds every event"
    );
}

#[test]
fn racing_exact_appends_let_exactly_one_win_each_round() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    const ROUNDS: usize = 12;
    let barrier = Barrier::new(PRODUCERS);
    let tallies: Vec<(usize, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|_| {
                let (store, barrier) = (&store, &barrier);
                s.spawn(move || {
                    let (mut won, mut lost) = (0, 0);
                    for _ in 0..ROUNDS {
                        // Everyone reads the version before anyone appends, so all expect the same one.
                        barrier.wait();
                        let version = store.stream_version(stream).expect("version reads");
                        barrier.wait();
                        let request =
                            AppendRequest::new(stream, ExpectedVersion::Exact(version), messages(thread, 1));
                        match store.append_blocking(request) {
                            Ok(envelopes) => {
                                assert_eq!(envelopes[0].stream_version, version + 1);
                                won += 1;
                            }
                            Err(AppendError::Conflict { actual, .. }) => {
                                assert_eq!(actual, version + 1, "the loser sees the winner's version");
                                lost += 1;
                            }
                            Err(e) => panic!("a racing append either wins or conflicts: {e}"),
                        }
                        barrier.wait();
                    }
                    (won, lost)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("producer")).collect()
    });
    let won: usize = tallies.iter().map(|t| t.0).sum();
    let lost: usize = tallies.iter().map(|t| t.1).sum();
    assert_eq!(won, ROUNDS, "exactly one of the racers expecting the same version wins each round");
    assert_eq!(lost, ROUNDS * (PRODUCERS - 1), "every other racer is told of the conflict");
    assert_eq!(store.stream_version(stream).unwrap(), won as u64, "the stream's version counts the winners");
    assert_eq!(store.last_sequence(), won as u64, "losers stored nothing");
}
