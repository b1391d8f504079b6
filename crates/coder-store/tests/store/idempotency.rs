//! Idempotent appends: an event id is stored once, however often its append is retried.

use std::sync::Barrier;

use coder_domain::*;
use coder_store::{AppendError, AppendRequest, ExpectedVersion};

use crate::support::*;

#[test]
fn a_retried_append_returns_the_stored_envelopes_and_stores_nothing_new() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let events = vec![NewEvent::new(thread_created(thread)), NewEvent::new(user_message(thread, "hi"))];
    let first = append(&store, stream, ExpectedVersion::NoStream, events.clone());
    append(&store, stream, ExpectedVersion::Any, messages(thread, 1));

    // The retry's expected version no longer holds; it must not matter for events already stored.
    let retried = store
        .append_blocking(AppendRequest::new(stream, ExpectedVersion::NoStream, events))
        .expect("a retry of a committed append succeeds");
    assert_eq!(retried, first, "the retry gets the envelopes as first stored");
    assert_eq!(store.last_sequence(), 3, "the retry stored nothing");
    assert_eq!(store.stream_version(stream).unwrap(), 3);
    assert_eq!(all_events(&store).len(), 3);
}

#[test]
fn a_retry_after_reopening_is_still_idempotent() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let events = messages(thread, 3);
    let first = append(&store, stream, ExpectedVersion::Any, events.clone());
    let store = reopen(store);
    let retried = append(&store, stream, ExpectedVersion::Any, events);
    assert_eq!(retried, first, "the event-id index is durable, so idempotency survives a restart");
    assert_eq!(store.last_sequence(), 3);
}

#[test]
fn concurrent_retries_of_one_append_store_it_once() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let events = messages(thread, 2);
    const CALLERS: usize = 8;
    let barrier = Barrier::new(CALLERS);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLERS)
            .map(|_| {
                let (store, barrier, events) = (&store, &barrier, events.clone());
                s.spawn(move || {
                    barrier.wait();
                    store.append_blocking(AppendRequest::new(stream, ExpectedVersion::Any, events))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("caller")).collect()
    });
    let stored = all_events(&store);
    assert_eq!(stored.len(), 2, "the same two events were sent {CALLERS} times and stored once");
    for result in results {
        assert_eq!(result.expect("every caller is answered with the stored events"), stored);
    }
}

#[test]
fn a_duplicate_id_inside_one_batch_is_refused() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let event = NewEvent::new(user_message(thread, "twice"));
    let other = NewEvent::new(user_message(thread, "once"));
    let refused = store.append_blocking(AppendRequest::new(
        stream,
        ExpectedVersion::Any,
        vec![other.clone(), event.clone(), event.clone()],
    ));
    assert_eq!(
        refused,
        Err(AppendError::DuplicateEvent(event.event_id)),
        "one event cannot be appended twice in one batch"
    );
    assert_eq!(store.last_sequence(), 0, "nothing of the refused batch is stored");
    assert_eq!(store.sequence_of(other.event_id).unwrap(), None);
}

#[test]
fn a_batch_that_reuses_a_stored_id_after_a_new_one_is_refused() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let stored = NewEvent::new(user_message(thread, "stored"));
    append(&store, stream, ExpectedVersion::Any, vec![stored.clone()]);
    let fresh = NewEvent::new(user_message(thread, "fresh"));
    let refused = store.append_blocking(AppendRequest::new(
        stream,
        ExpectedVersion::Any,
        vec![fresh.clone(), stored.clone()],
    ));
    assert_eq!(
        refused,
        Err(AppendError::DuplicateEvent(stored.event_id)),
        "a batch that is not a retry must not store an event id a second time"
    );
    assert_eq!(store.sequence_of(fresh.event_id).unwrap(), None, "nothing of the refused batch is stored");
    assert_eq!(store.last_sequence(), 1);
}

#[test]
fn a_batch_that_starts_with_a_stored_event_and_adds_new_ones_is_refused() {
    let (_dir, store) = temp_store();
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    let stored = NewEvent::new(user_message(thread, "stored"));
    append(&store, stream, ExpectedVersion::Any, vec![stored.clone()]);
    let fresh = NewEvent::new(user_message(thread, "fresh"));
    let result = store.append_blocking(AppendRequest::new(
        stream,
        ExpectedVersion::Any,
        vec![stored.clone(), fresh.clone()],
    ));
    // Answering with the stored event alone would tell the caller `fresh` was stored when it was not.
    assert_eq!(
        result,
        Err(AppendError::DuplicateEvent(stored.event_id)),
        "only a retry of exactly stored events is idempotent; a batch mixing stored and new events is refused"
    );
    assert_eq!(store.sequence_of(fresh.event_id).unwrap(), None);
    assert_eq!(store.last_sequence(), 1);
}
