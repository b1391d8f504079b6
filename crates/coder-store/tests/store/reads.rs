//! Reads by sequence, stream, correlation and event id; and that a reopened store reads the same.

use coder_domain::*;
use coder_store::{EventStore, ExpectedVersion, OpenError};
use uuid::Uuid;

use crate::support::*;

struct World {
    thread: StreamId,
    run: StreamId,
    project: StreamId,
    action: Uuid,
    stored: Vec<EventEnvelope>,
}

/// Ten events over three streams; the run's events and two of the thread's share a correlation.
fn build(store: &EventStore) -> World {
    let (thread_id, run_id, project_id) = (ThreadId::new(), RunId::new(), ProjectId::new());
    let (thread, run, project) =
        (StreamId::Thread(thread_id), StreamId::Run(run_id), StreamId::Project(project_id));
    let action = Uuid::now_v7();
    let mut stored = Vec::new();
    stored.extend(append(
        store,
        project,
        ExpectedVersion::NoStream,
        vec![NewEvent::new(project_created(project_id))],
    ));
    stored.extend(append(
        store,
        thread,
        ExpectedVersion::NoStream,
        vec![NewEvent::new(thread_created(thread_id))],
    ));
    let asked: Vec<NewEvent> = messages(thread_id, 2).into_iter().map(|e| e.correlated(action)).collect();
    stored.extend(append(store, thread, ExpectedVersion::Exact(1), asked));
    let started = NewEvent::new(run_started(run_id, thread_id)).correlated(action);
    stored.extend(append(store, run, ExpectedVersion::NoStream, vec![started]));
    stored.extend(append(store, thread, ExpectedVersion::Exact(3), messages(thread_id, 3)));
    let changed = NewEvent::new(file_modified(project_id, "a.rs", b"a", b"b")).correlated(action);
    stored.extend(append(store, project, ExpectedVersion::Exact(1), vec![changed]));
    stored.extend(append(
        store,
        project,
        ExpectedVersion::Exact(2),
        vec![NewEvent::new(project_created(project_id))],
    ));
    World { thread, run, project, action, stored }
}

/// Everything the read API says about `world`, for comparing one store against another.
fn everything(store: &EventStore, world: &World) -> Vec<String> {
    let mut out = vec![format!("{:?}", all_events(store)), store.last_sequence().to_string()];
    for stream in [world.thread, world.run, world.project] {
        out.push(format!("{:?}", store.read_stream(stream, 1).unwrap()));
        out.push(store.stream_version(stream).unwrap().to_string());
    }
    out.push(format!("{:?}", store.read_correlation(world.action).unwrap()));
    for e in &world.stored {
        out.push(format!("{:?}", store.sequence_of(e.event_id).unwrap()));
    }
    out
}

#[test]
fn reads_by_sequence_stream_correlation_and_event_id() {
    let (_dir, store) = temp_store();
    let world = build(&store);
    assert_eq!(world.stored.len(), 10);
    assert_eq!(store.last_sequence(), 10);
    assert_eq!(all_events(&store), world.stored, "the log reads back as appended");

    assert_eq!(
        sequences(&store.read_from(3, 4).unwrap()),
        vec![3, 4, 5, 6],
        "read_from starts at `from` and stops at `limit`"
    );
    assert_eq!(sequences(&store.read_from(9, 100).unwrap()), vec![9, 10], "read_from ends at the last event");
    assert!(store.read_from(11, 100).unwrap().is_empty(), "nothing lies beyond the last sequence");
    assert_eq!(
        sequences(&store.read_from(0, 2).unwrap()),
        vec![1, 2],
        "sequence 0 is before the first event"
    );

    let thread = store.read_stream(world.thread, 1).unwrap();
    assert_eq!(thread.iter().map(|e| e.stream_version).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    assert!(thread.iter().all(|e| e.stream == world.thread), "a stream read holds only that stream");
    let tail = store.read_stream(world.thread, 4).unwrap();
    assert_eq!(
        tail.iter().map(|e| e.stream_version).collect::<Vec<_>>(),
        vec![4, 5, 6],
        "reading from a version skips the earlier ones"
    );
    assert_eq!(tail, thread[3..], "a tail read equals the end of the full read");
    assert!(store.read_stream(world.thread, 7).unwrap().is_empty());
    assert_eq!(store.stream_version(world.thread).unwrap(), 6);
    assert_eq!(store.stream_version(world.run).unwrap(), 1);
    assert_eq!(store.stream_version(world.project).unwrap(), 3);
    assert_eq!(
        store.stream_version(StreamId::Thread(ThreadId::new())).unwrap(),
        0,
        "an unknown stream is at version 0"
    );

    let correlated = store.read_correlation(world.action).unwrap();
    assert_eq!(sequences(&correlated), vec![3, 4, 5, 9], "a correlation reads its events in sequence order");
    assert!(correlated.iter().all(|e| e.correlation_id == world.action));
    assert!(
        store.read_correlation(Uuid::now_v7()).unwrap().is_empty(),
        "an unknown correlation has no events"
    );
    let root = &world.stored[0];
    assert_eq!(
        store.read_correlation(root.correlation_id).unwrap(),
        vec![root.clone()],
        "a root event is its own correlation"
    );

    for e in &world.stored {
        assert_eq!(
            store.sequence_of(e.event_id).unwrap(),
            Some(e.sequence),
            "every event id resolves to its sequence"
        );
    }
    assert_eq!(store.sequence_of(Uuid::now_v7()).unwrap(), None);
    assert_eq!(
        sequences(&store.read_sequences([7, 2, 99, 5]).unwrap()),
        vec![7, 2, 5],
        "read_sequences keeps the order asked for and skips missing sequences"
    );
}

#[test]
fn a_reopened_store_reads_back_identically_and_continues_where_it_stopped() {
    let (_dir, store) = temp_store();
    let world = build(&store);
    let before = everything(&store, &world);
    let store = reopen(store);
    assert_eq!(everything(&store, &world), before, "every read answers the same after a restart");
    assert_eq!(store.read_only_reason(), None, "a store this build wrote opens writable");

    let StreamId::Thread(thread_id) = world.thread else { unreachable!() };
    let next = append(&store, world.thread, ExpectedVersion::Exact(6), messages(thread_id, 1));
    assert_eq!(
        (next[0].sequence, next[0].stream_version),
        (11, 7),
        "sequence and version continue after a restart"
    );
}

#[test]
fn a_store_file_opens_once_at_a_time() {
    let (dir, store) = temp_store();
    match EventStore::open(store_path(&dir)) {
        Err(OpenError::Locked { .. }) => {}
        other => panic!("a second open of a store in use must say it is locked: {other:?}"),
    }
    drop(store);
    EventStore::open(store_path(&dir)).expect("once the first handle is gone the file opens again");
}

#[test]
fn open_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b").join("coder.redb");
    let store = EventStore::open(&path).expect("the data directory is created");
    assert_eq!(store.path(), path);
    assert_eq!(store.last_sequence(), 0);
}
