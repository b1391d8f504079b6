//! Catch-up subscriptions: stored events, then live ones, with no gap and no duplicate.

use std::sync::mpsc;
use std::time::Duration;

use coder_domain::*;
use coder_store::{EventStore, ExpectedVersion, Subscription};

use crate::support::*;

/// Far longer than any correct test needs: only guards against a hang turning into a stuck run.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// Appends `batches` appends of `per_batch` events to one thread.
fn fill(store: &EventStore, batches: usize, per_batch: usize) {
    let thread = ThreadId::new();
    for _ in 0..batches {
        append(store, StreamId::Thread(thread), ExpectedVersion::Any, messages(thread, per_batch));
    }
}

fn receive_blocking(subscription: &mut Subscription, n: usize) -> Vec<u64> {
    (0..n)
        .map(|_| {
            subscription.blocking_recv().expect("the subscription reads").expect("the store is open").sequence
        })
        .collect()
}

#[test]
fn catch_up_hands_over_to_live_events_without_gap_or_duplicate() {
    let (_dir, store) = temp_store();
    fill(&store, 30, 10);
    let mut subscription = store.subscribe(1);
    let received = std::thread::scope(|s| {
        // Live appends start while the subscriber is still reading stored events.
        let producer = s.spawn(|| fill(&store, 30, 10));
        let received = receive_blocking(&mut subscription, 600);
        producer.join().expect("producer");
        received
    });
    assert_eq!(received, (1..=600).collect::<Vec<_>>(), "every event exactly once, in sequence order");
    assert_eq!(subscription.try_recv().unwrap(), None, "nothing more was committed");
    assert_eq!(subscription.next_sequence(), 601);
}

#[test]
fn a_subscription_starts_at_the_sequence_asked_for() {
    let (_dir, store) = temp_store();
    fill(&store, 1, 10);
    let mut subscription = store.subscribe(5);
    assert_eq!(subscription.next_sequence(), 5);
    assert_eq!(receive_blocking(&mut subscription, 6), (5..=10).collect::<Vec<_>>());
    let mut ahead = store.subscribe(12);
    fill(&store, 1, 3);
    assert_eq!(
        ahead.blocking_recv().unwrap().map(|e| e.sequence),
        Some(12),
        "events before `from` are skipped, live ones too"
    );
}

#[test]
fn a_subscriber_that_lags_past_the_live_capacity_still_gets_every_event_once_blocking() {
    let (_dir, store) = temp_store();
    let mut subscription = store.subscribe(1);
    // 10,000 live events while the subscriber reads nothing: more than the live channel holds.
    fill(&store, 100, 100);
    assert_eq!(
        receive_blocking(&mut subscription, 10_000),
        (1..=10_000).collect::<Vec<_>>(),
        "a lagging subscriber catches up from the store, losing and doubling nothing"
    );
    assert_eq!(subscription.try_recv().unwrap(), None, "the live channel's backlog holds nothing new");
    fill(&store, 1, 1);
    assert_eq!(
        subscription.blocking_recv().unwrap().map(|e| e.sequence),
        Some(10_001),
        "after catching up it follows live events"
    );
}

#[test]
fn a_subscriber_that_lags_past_the_live_capacity_still_gets_every_event_once_try_recv() {
    let (_dir, store) = temp_store();
    let mut subscription = store.subscribe(1);
    fill(&store, 100, 100);
    let mut received = Vec::new();
    while let Some(envelope) = subscription.try_recv().expect("the subscription reads") {
        received.push(envelope.sequence);
    }
    assert_eq!(
        received,
        (1..=10_000).collect::<Vec<_>>(),
        "try_recv returns every committed event once, in order"
    );
    fill(&store, 1, 2);
    assert_eq!(
        subscription.try_recv().unwrap().map(|e| e.sequence),
        Some(10_001),
        "a committed event is there without waiting"
    );
    assert_eq!(subscription.try_recv().unwrap().map(|e| e.sequence), Some(10_002));
    assert_eq!(subscription.try_recv().unwrap(), None);
}

#[test]
fn the_async_recv_waits_for_the_next_commit() {
    let (_dir, store) = temp_store();
    fill(&store, 1, 2);
    let mut subscription = store.subscribe(1);
    let received = std::thread::scope(|s| {
        s.spawn(|| fill(&store, 1, 1));
        (0..3)
            .map(|_| block_on(subscription.recv()).expect("reads").expect("the store is open").sequence)
            .collect::<Vec<_>>()
    });
    assert_eq!(received, vec![1, 2, 3], "stored events, then the one committed while waiting");
}

#[test]
fn a_subscription_ends_once_the_store_is_closed() {
    let (_dir, store) = temp_store();
    fill(&store, 1, 3);
    let mut subscription = store.subscribe(1);
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        loop {
            match subscription.blocking_recv() {
                Ok(Some(e)) => got.push(e.sequence),
                Ok(None) => break,
                Err(e) => panic!("the subscription reads: {e}"),
            }
        }
        let _ = tx.send(got);
    });
    store.close();
    let got = rx
        .recv_timeout(HANG_GUARD)
        .expect("a subscriber waiting on a closed store is told it has ended (None), not left blocked");
    assert_eq!(got, vec![1, 2, 3], "it first receives what was stored");
    reader.join().expect("reader");
}
