//! `stats`: counts of events, entities, blobs and snapshots.

use coder_domain::*;
use coder_store::tables::FORMAT_VERSION;
use coder_store::{ExpectedVersion, SnapshotWrite};

use crate::support::*;

#[test]
fn stats_count_threads_runs_projects_blobs_and_snapshots() {
    let (_dir, store) = temp_store();
    let empty = store.stats().unwrap();
    assert_eq!((empty.events, empty.threads, empty.runs, empty.projects, empty.blobs), (0, 0, 0, 0, 0));
    assert_eq!(empty.format_version, FORMAT_VERSION, "a new store is stamped with this build's format");

    let project = ProjectId::new();
    append(
        &store,
        StreamId::Project(project),
        ExpectedVersion::NoStream,
        vec![NewEvent::new(project_created(project))],
    );
    let mut threads = Vec::new();
    for _ in 0..3 {
        let thread = ThreadId::new();
        threads.push(thread);
        append(
            &store,
            StreamId::Thread(thread),
            ExpectedVersion::NoStream,
            vec![NewEvent::new(thread_created(thread))],
        );
        append(&store, StreamId::Thread(thread), ExpectedVersion::Any, messages(thread, 4));
    }
    for thread in &threads[..2] {
        let run = RunId::new();
        append(
            &store,
            StreamId::Run(run),
            ExpectedVersion::NoStream,
            vec![NewEvent::new(run_started(run, *thread))],
        );
        append(
            &store,
            StreamId::Run(run),
            ExpectedVersion::Any,
            vec![NewEvent::new(run_started(run, *thread))],
        );
    }
    let change = NewEvent::new(file_modified(project, "a", b"old", b"new"));
    store
        .append_blocking(
            coder_store::AppendRequest::new(StreamId::Project(project), ExpectedVersion::Any, vec![change])
                .with_blobs(vec![b"old".to_vec(), b"new".to_vec()]),
        )
        .unwrap();
    store
        .save_snapshot_blocking(SnapshotWrite {
            projection: "p".into(),
            key: vec![1],
            sequence: 3,
            version: 1,
            bytes: vec![],
        })
        .unwrap();

    let stats = store.stats().unwrap();
    assert_eq!(stats.threads, 3, "three thread streams, however many events each holds");
    assert_eq!(stats.runs, 2, "two run streams");
    assert_eq!(stats.projects, 1, "one project stream");
    assert_eq!(stats.events, 1 + 3 * 5 + 2 * 2 + 1);
    assert_eq!(stats.last_sequence, stats.events, "a gapless log ends at its event count");
    assert_eq!(stats.blobs, 2);
    assert_eq!(stats.snapshots, 1);
    assert!(stats.bytes_on_disk > 0, "the file has a size");
    assert_eq!(stats.read_only, None);
    let reopened = reopen(store).stats().unwrap();
    assert_eq!(
        (reopened.threads, reopened.runs, reopened.projects, reopened.events),
        (3, 2, 1, stats.events)
    );
}
