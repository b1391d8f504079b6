//! Blobs: content-addressed, stored once, and written in the same transaction as their events.

use coder_domain::*;
use coder_store::{AppendError, AppendRequest, ExpectedVersion};

use crate::support::*;

#[test]
fn blobs_are_addressed_by_content_and_stored_once() {
    let (_dir, store) = temp_store();
    let hashes = store
        .put_blobs_blocking(vec![b"same".to_vec(), b"same".to_vec(), b"other".to_vec()])
        .expect("blobs store");
    assert_eq!(
        hashes,
        vec![ContentHash::of(b"same"), ContentHash::of(b"same"), ContentHash::of(b"other")],
        "a blob's key is its BLAKE3 hash"
    );
    assert_eq!(store.stats().unwrap().blobs, 2, "the same content twice is one blob");
    store.put_blobs_blocking(vec![b"same".to_vec()]).unwrap();
    assert_eq!(block_on(store.put_blobs(vec![b"other".to_vec()])).unwrap(), vec![ContentHash::of(b"other")]);
    assert_eq!(store.stats().unwrap().blobs, 2, "storing known content again adds nothing");
    assert_eq!(store.blob(ContentHash::of(b"same")).unwrap(), Some(b"same".to_vec()));
    assert_eq!(store.blob(ContentHash::of(b"never stored")).unwrap(), None);
    let listed: Vec<ContentHash> = store.blobs().unwrap().into_iter().map(|(h, _)| h).collect();
    let mut sorted = vec![ContentHash::of(b"same"), ContentHash::of(b"other")];
    sorted.sort_by_key(|h| h.0);
    assert_eq!(listed, sorted, "blobs list in hash order");
}

#[test]
fn the_blobs_of_an_append_are_there_when_its_event_is() {
    let (_dir, store) = temp_store();
    let project = ProjectId::new();
    let stream = StreamId::Project(project);
    append(&store, stream, ExpectedVersion::NoStream, vec![NewEvent::new(project_created(project))]);
    let mut subscription = store.subscribe(2);
    let (before, after) = (b"fn old() {}".to_vec(), b"fn new() {}".to_vec());
    std::thread::scope(|s| {
        s.spawn(|| {
            let change = NewEvent::new(file_modified(project, "src/lib.rs", &before, &after));
            let request = AppendRequest::new(stream, ExpectedVersion::Exact(1), vec![change])
                .with_blobs(vec![before.clone(), after.clone()]);
            store.append_blocking(request).expect("the file change commits");
        });
        let event = subscription.blocking_recv().unwrap().expect("the file change arrives");
        let DomainEvent::FileChanged { change_type, .. } = &event.event else {
            panic!("expected the file change: {event:?}")
        };
        // The subscriber learns of the event only after its commit; the blobs were in that commit.
        assert_eq!(
            store.blob(change_type.before().unwrap()).unwrap(),
            Some(before.clone()),
            "the old content is stored with the change"
        );
        assert_eq!(
            store.blob(change_type.after().unwrap()).unwrap(),
            Some(after.clone()),
            "the new content is stored with the change"
        );
    });
    let verify = coder_store::verify(&store).unwrap();
    assert!(verify.is_ok(), "every file change finds its contents: {:?}", verify.problems);
}

#[test]
fn the_blobs_of_a_refused_append_are_not_stored() {
    let (_dir, store) = temp_store();
    let project = ProjectId::new();
    let stream = StreamId::Project(project);
    append(&store, stream, ExpectedVersion::NoStream, vec![NewEvent::new(project_created(project))]);
    let change = NewEvent::new(file_modified(project, "a", b"x", b"y"));
    let request = AppendRequest::new(stream, ExpectedVersion::NoStream, vec![change])
        .with_blobs(vec![b"x".to_vec(), b"y".to_vec()]);
    assert!(matches!(store.append_blocking(request), Err(AppendError::Conflict { .. })));
    assert_eq!(store.stats().unwrap().blobs, 0, "blobs go in with their events or not at all");
}
