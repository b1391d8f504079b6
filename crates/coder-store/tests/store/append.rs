//! Appends: global gapless sequences, stream versions, optimistic concurrency, refusals.

use std::sync::Barrier;

use coder_domain::*;
use coder_store::{AppendError, AppendRequest, ExpectedVersion};

use crate::support::*;

#[test]
fn sequences_are_global_gapless_from_one_and_follow_append_order_across_streams() {
    let (_dir, store) = temp_store();
    assert_eq!(store.last_sequence(), 0, "an empty store has committed nothing");
    let (a, b) = (ThreadId::new(), ThreadId::new());
    let project = ProjectId::new();
    let plan: Vec<(StreamId, usize)> = vec![
        (StreamId::Thread(a), 2),
        (StreamId::Thread(b), 1),
        (StreamId::Thread(a), 1),
        (StreamId::Project(project), 3),
        (StreamId::Thread(b), 2),
    ];
    let mut returned = Vec::new();
    for (stream, n) in &plan {
        let thread = match stream {
            StreamId::Thread(t) => *t,
            _ => ThreadId::new(),
        };
        returned.extend(append(&store, *stream, ExpectedVersion::Any, messages(thread, *n)));
    }
    assert_eq!(
        sequences(&returned),
        (1..=9).collect::<Vec<_>>(),
        "sequences are assigned 1, 2, 3, … in append order, whatever the stream"
    );
    let versions: Vec<(StreamId, u64)> = returned.iter().map(|e| (e.stream, e.stream_version)).collect();
    assert_eq!(
        versions,
        vec![
            (StreamId::Thread(a), 1),
            (StreamId::Thread(a), 2),
            (StreamId::Thread(b), 1),
            (StreamId::Thread(a), 3),
            (StreamId::Project(project), 1),
            (StreamId::Project(project), 2),
            (StreamId::Project(project), 3),
            (StreamId::Thread(b), 2),
            (StreamId::Thread(b), 3),
        ],
        "each stream counts its own versions from 1"
    );
    assert_eq!(all_events(&store), returned, "what an append returns is what is stored");
    assert_eq!(store.last_sequence(), 9);
    assert!(
        returned.iter().all(|e| e.schema_version == SCHEMA_VERSION),
        "new events are written with this build's schema"
    );
}

#[test]
fn exact_and_no_stream_go_ahead_when_the_stream_is_where_expected() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let first =
        append(&store, stream, ExpectedVersion::NoStream, vec![NewEvent::new(thread_created(thread))]);
    assert_eq!(first[0].stream_version, 1);
    let next = append(&store, stream, ExpectedVersion::Exact(1), messages(thread, 2));
    assert_eq!(next.iter().map(|e| e.stream_version).collect::<Vec<_>>(), vec![2, 3]);
    let other = StreamId::Thread(ThreadId::new());
    let fresh = append(&store, other, ExpectedVersion::Exact(0), messages(thread, 1));
    assert_eq!(fresh[0].stream_version, 1, "Exact(0) is a stream with no events yet");
}

#[test]
fn a_conflict_refuses_that_batch_alone_and_stores_nothing_of_it() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let contested = StreamId::Thread(thread);
    append(&store, contested, ExpectedVersion::Any, messages(thread, 2));

    // Half the producers expect a version the stream is not at; the other half append validly,
    // all released at once so that refused and valid requests share write transactions.
    const PRODUCERS: usize = 8;
    let barrier = Barrier::new(PRODUCERS);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|i| {
                let (store, barrier) = (&store, &barrier);
                s.spawn(move || {
                    let (stream, expected) = match i % 4 {
                        0 => (contested, ExpectedVersion::Exact(1)),
                        1 => (contested, ExpectedVersion::NoStream),
                        2 => (StreamId::Thread(ThreadId::new()), ExpectedVersion::NoStream),
                        _ => (contested, ExpectedVersion::Any),
                    };
                    let events = messages(thread, 2);
                    let blob = format!("blob of producer {i}").into_bytes();
                    let request =
                        AppendRequest::new(stream, expected, events.clone()).with_blobs(vec![blob.clone()]);
                    barrier.wait();
                    (i, events, blob, store.append_blocking(request))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("producer")).collect()
    });

    let mut committed = 0;
    for (i, events, blob, result) in results {
        let stored_ids: Vec<_> =
            events.iter().map(|e| store.sequence_of(e.event_id).expect("index reads")).collect();
        if i % 4 < 2 {
            match result {
                Err(AppendError::Conflict { stream, actual, .. }) => {
                    assert_eq!(stream, contested);
                    assert!(actual >= 2, "the contested stream had 2 events before, found {actual}");
                }
                other => panic!(
                    "producer {i} expected a version the stream is not at and must conflict: {other:?}"
                ),
            }
            assert!(stored_ids.iter().all(Option::is_none), "no event of a refused batch is stored");
            assert_eq!(
                store.blob(ContentHash::of(&blob)).unwrap(),
                None,
                "no blob of a refused batch is stored"
            );
        } else {
            let envelopes =
                result.unwrap_or_else(|e| panic!("producer {i} appended validly and must commit: {e}"));
            assert_eq!(envelopes.len(), 2);
            assert!(stored_ids.iter().all(Option::is_some), "a committed batch is stored");
            assert_eq!(store.blob(ContentHash::of(&blob)).unwrap(), Some(blob), "its blob is stored with it");
            committed += 2;
        }
    }
    let all = all_events(&store);
    assert_eq!(all.len(), 2 + committed, "exactly the valid batches were stored");
    assert_eq!(
        sequences(&all),
        (1..=all.len() as u64).collect::<Vec<_>>(),
        "refusals leave no gap in the sequence"
    );
    assert_eq!(
        store.stream_version(contested).unwrap(),
        2 + 2 * (PRODUCERS as u64 / 4),
        "two Any producers added 2 each"
    );
}

#[test]
fn a_conflict_names_the_stream_and_its_actual_version() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    append(&store, stream, ExpectedVersion::Any, messages(thread, 3));
    let refused =
        store.append_blocking(AppendRequest::new(stream, ExpectedVersion::NoStream, messages(thread, 1)));
    assert_eq!(
        refused,
        Err(AppendError::Conflict { stream, expected: "no stream".into(), actual: 3 }),
        "NoStream on a stream with events is a conflict"
    );
    let refused =
        store.append_blocking(AppendRequest::new(stream, ExpectedVersion::Exact(2), messages(thread, 1)));
    assert!(matches!(refused, Err(AppendError::Conflict { actual: 3, .. })), "{refused:?}");
    assert_eq!(store.last_sequence(), 3, "refused appends store nothing");
}

#[test]
fn an_empty_append_is_refused() {
    let (_dir, store) = temp_store();
    let stream = StreamId::Thread(ThreadId::new());
    let refused = store.append_blocking(AppendRequest::new(stream, ExpectedVersion::Any, Vec::new()));
    assert_eq!(refused, Err(AppendError::Empty), "an append must carry at least one event");
    let refused = store.append_blocking(
        AppendRequest::new(stream, ExpectedVersion::Any, Vec::new()).with_blobs(vec![b"x".to_vec()]),
    );
    assert_eq!(refused, Err(AppendError::Empty));
    assert_eq!(store.last_sequence(), 0);
    assert_eq!(store.stats().unwrap().blobs, 0, "blobs of a refused append are not stored");
}

#[test]
fn the_async_append_commits_like_the_blocking_one() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let envelopes =
        block_on(store.append(AppendRequest::new(stream, ExpectedVersion::NoStream, messages(thread, 2))))
            .expect("the async append commits");
    assert_eq!(sequences(&envelopes), vec![1, 2]);
    let refused =
        block_on(store.append(AppendRequest::new(stream, ExpectedVersion::NoStream, messages(thread, 1))));
    assert!(matches!(refused, Err(AppendError::Conflict { .. })), "{refused:?}");
}

#[test]
fn appends_after_close_fail_with_closed() {
    let (_dir, store) = temp_store();
    let other = store.clone();
    store.close();
    let thread = ThreadId::new();
    let refused = other.append_blocking(AppendRequest::new(
        StreamId::Thread(thread),
        ExpectedVersion::Any,
        messages(thread, 1),
    ));
    assert_eq!(refused, Err(AppendError::Closed), "a closed store's writer is gone");
}
