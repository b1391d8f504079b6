//! Projection snapshots: save, load at or before a sequence, retention, and snapshot + tail =
//! full replay.

use coder_domain::*;
use coder_store::{EventStore, ExpectedVersion, SnapshotWrite, StoredSnapshot, SNAPSHOTS_KEPT};

use crate::support::*;

fn write(key: &[u8], sequence: u64) -> SnapshotWrite {
    SnapshotWrite {
        projection: "chat_view".into(),
        key: key.to_vec(),
        sequence,
        version: 7,
        bytes: format!("state at {sequence}").into_bytes(),
    }
}

fn sequence_at(store: &EventStore, key: &[u8], at: u64) -> Option<u64> {
    store.snapshot("chat_view", key, at).expect("snapshots read").map(|s| s.sequence)
}

#[test]
fn a_snapshot_loads_as_saved_and_the_newest_at_or_before_a_sequence_is_found() {
    let (_dir, store) = temp_store();
    let key = b"thread-a";
    for sequence in [10, 20, 30] {
        store.save_snapshot_blocking(write(key, sequence)).expect("a snapshot saves");
    }
    assert_eq!(
        store.snapshot("chat_view", key, u64::MAX).unwrap(),
        Some(StoredSnapshot { sequence: 30, version: 7, bytes: b"state at 30".to_vec() }),
        "the newest snapshot comes back with its sequence, version and bytes"
    );
    assert_eq!(sequence_at(&store, key, 30), Some(30), "a snapshot at exactly the sequence counts");
    assert_eq!(
        sequence_at(&store, key, 29),
        Some(20),
        "time travel takes the newest snapshot before the point"
    );
    assert_eq!(sequence_at(&store, key, 10), Some(10));
    assert_eq!(sequence_at(&store, key, 9), None, "no snapshot is older than the point");
    assert_eq!(sequence_at(&store, b"thread-b", u64::MAX), None, "snapshots are per key");
    assert_eq!(
        sequence_at(&store, b"thread", u64::MAX),
        None,
        "a key that is a prefix of another is a different key"
    );
    assert_eq!(store.snapshot("run_view", key, u64::MAX).unwrap(), None, "snapshots are per projection");

    let store = reopen(store);
    assert_eq!(sequence_at(&store, key, u64::MAX), Some(30), "snapshots are durable");
}

#[test]
fn only_the_latest_three_snapshots_of_a_key_are_kept() {
    assert_eq!(SNAPSHOTS_KEPT, 3);
    let (_dir, store) = temp_store();
    for sequence in [10, 20, 30, 40, 50, 60] {
        store.save_snapshot_blocking(write(b"a", sequence)).unwrap();
        store.save_snapshot_blocking(write(b"b", sequence + 1)).unwrap();
    }
    assert_eq!(store.stats().unwrap().snapshots, 6, "three per key are kept");
    assert_eq!(sequence_at(&store, b"a", u64::MAX), Some(60));
    assert_eq!(sequence_at(&store, b"a", 45), Some(40));
    assert_eq!(sequence_at(&store, b"a", 39), None, "older snapshots were deleted");
    assert_eq!(sequence_at(&store, b"b", 41), Some(41), "another key keeps its own three");

    // A snapshot older than those kept (say, from time travel) does not grow the set.
    store.save_snapshot_blocking(write(b"a", 5)).unwrap();
    assert_eq!(store.stats().unwrap().snapshots, 6, "still three per key after saving an older snapshot");
    assert_eq!(sequence_at(&store, b"a", u64::MAX), Some(60), "the newest snapshot is never the one dropped");
    assert_eq!(sequence_at(&store, b"a", 45), Some(40));
}

/// A thread with two turns, each with a run, a streamed answer and a tool use.
fn chat(store: &EventStore) -> ThreadId {
    let thread = ThreadId::new();
    let stream = StreamId::Thread(thread);
    append(store, stream, ExpectedVersion::NoStream, vec![NewEvent::new(thread_created(thread))]);
    for turn in 0..2u32 {
        let run = RunId::new();
        let answer = MessageId::new();
        let tool = ToolUseId::new();
        append(
            store,
            stream,
            ExpectedVersion::Any,
            vec![NewEvent::new(user_message(thread, &format!("question {turn}")))],
        );
        append(
            store,
            StreamId::Run(run),
            ExpectedVersion::NoStream,
            vec![NewEvent::new(run_started(run, thread))],
        );
        let streamed = |text: &str| DomainEvent::MessageStreaming {
            thread_id: thread,
            message_id: answer,
            content: text.into(),
            timestamp: at(10 + turn),
        };
        let mut events = vec![DomainEvent::MessageAdded {
            thread_id: thread,
            message_id: answer,
            content: String::new(),
            role: Role::Assistant,
            tool_uses: SmallVec::from_slice(&[tool]),
            timestamp: at(10 + turn),
        }];
        events.extend(["Let ", "me ", "look."].map(streamed));
        for event in events {
            append(store, stream, ExpectedVersion::Any, vec![NewEvent::new(event)]);
        }
        let tool_events = [
            DomainEvent::ToolUseStarted {
                tool_use_id: tool,
                run_id: run,
                message_id: answer,
                tool_name: "read_file".into(),
                input: serde_json::json!({"path": "src/lib.rs"}),
                timestamp: at(20 + turn),
            },
            DomainEvent::ToolUseProgress {
                tool_use_id: tool,
                progress: 0.5,
                status_message: "reading".into(),
                timestamp: at(21),
            },
            DomainEvent::ToolUseComplete {
                tool_use_id: tool,
                result: ToolOutput::Text("fn main() {}".into()),
                duration_ms: 3,
                timestamp: at(22),
            },
        ];
        for event in tool_events {
            append(store, StreamId::Run(run), ExpectedVersion::Any, vec![NewEvent::new(event)]);
        }
        let complete = DomainEvent::MessageComplete {
            thread_id: thread,
            message_id: answer,
            final_content: "Let me look. Done.".into(),
            timestamp: at(30 + turn),
        };
        append(store, stream, ExpectedVersion::Any, vec![NewEvent::new(complete)]);
        let finished = DomainEvent::RunFinished {
            run_id: run,
            status: RunStatus::Success,
            cost: Cost { input_tokens: 10, output_tokens: 5, total_tokens: 15, usd_cents: 1 },
            duration_ms: 100,
            timestamp: at(40 + turn),
        };
        append(store, StreamId::Run(run), ExpectedVersion::Any, vec![NewEvent::new(finished)]);
    }
    thread
}

fn replay(thread: ThreadId, envelopes: &[EventEnvelope]) -> ChatView {
    let mut view = ChatView::new(thread);
    for envelope in envelopes {
        view.apply_envelope(envelope);
    }
    view
}

#[test]
fn a_chat_view_snapshot_plus_the_tail_equals_a_full_replay_at_every_sequence() {
    let (_dir, store) = temp_store();
    let thread = chat(&store);
    let events = all_events(&store);
    let full = replay(thread, &events);
    assert_eq!(full.message_count, 4, "the chat holds two questions and two answers");
    let key = thread.as_uuid().as_bytes();
    for cut in 1..=store.last_sequence() {
        let at_cut = replay(thread, &events[..cut as usize]);
        let bytes = serde_json::to_vec(&at_cut).expect("a ChatView serializes");
        store
            .save_snapshot_blocking(SnapshotWrite {
                projection: ChatView::NAME.into(),
                key: key.to_vec(),
                sequence: cut,
                version: ChatView::VERSION,
                bytes,
            })
            .expect("the snapshot saves");
        let stored =
            store.snapshot(ChatView::NAME, key, cut).unwrap().expect("the snapshot just saved is found");
        assert_eq!((stored.sequence, stored.version), (cut, ChatView::VERSION));
        let projection: ChatView =
            serde_json::from_slice(&stored.bytes).expect("the stored snapshot deserializes");
        let tail = store.read_from(stored.sequence + 1, usize::MAX).expect("the tail reads");
        let restored = Snapshot::restore_envelopes(Snapshot::take(projection, stored.sequence, at(0)), &tail);
        assert_eq!(restored, full, "snapshot at {cut} plus the events after it equals replaying all events");
    }
}
