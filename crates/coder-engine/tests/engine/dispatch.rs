use std::sync::{Arc, Barrier};

use coder_domain::*;
use coder_engine::{DispatchContext, DispatchError, ViewChange};
use tempfile::TempDir;

use crate::support::*;

#[test]
fn a_dispatched_command_is_stored_applied_and_listed() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    engine.wait_until_ready();
    assert!(engine.is_ready(), "the write model has loaded and recovery is done");
    let (_, thread) = thread(&engine, "Fix the build");
    let events_before = engine.store().last_sequence();
    let message = say(&engine, thread, "Why does CI fail?");
    assert_eq!(engine.store().last_sequence(), events_before + 1, "one message, one event");
    assert!(engine.applied_sequence() >= engine.store().last_sequence(), "dispatch returns once applied");
    let summary = engine.thread(thread).unwrap();
    assert_eq!(summary.last_message_preview, "Why does CI fail?");
    let view = engine.chat_view(thread).unwrap();
    assert!(matches!(&view.entries[0], ChatEntry::Message(m) if m.id == message));
}

#[test]
fn refused_commands_store_nothing() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (_, thread) = thread(&engine, "t");
    let before = engine.store().last_sequence();
    let err = engine
        .dispatch_blocking(Command::SendMessage {
            thread_id: thread,
            message_id: MessageId::new(),
            content: "  ".into(),
            attachments: Vec::new(),
        })
        .unwrap_err();
    assert_eq!(err.code(), "empty_message");
    let err = engine.dispatch_blocking(Command::ArchiveThread { thread_id: ThreadId::new() }).unwrap_err();
    assert_eq!(err.code(), "not_found");
    assert_eq!(engine.store().last_sequence(), before, "an error writes nothing");
}

#[test]
fn racing_approvals_of_one_step_yield_one_approval() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (_, thread) = thread(&engine, "t");
    let (run, reply) = run_with_reply(&engine, thread);
    let (step, _) = gated_tool(&engine, run, reply);
    let racers = 8;
    let barrier = Arc::new(Barrier::new(racers));
    let results: Vec<Result<_, DispatchError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..racers)
            .map(|_| {
                let engine = engine.clone();
                let barrier = barrier.clone();
                scope.spawn(move || {
                    barrier.wait();
                    engine.dispatch_blocking(Command::ApproveStep {
                        run_id: run,
                        step_id: step,
                        by: Approver::Person,
                    })
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let approvals = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(approvals, 1, "exactly one approval wins: {results:?}");
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(r.code(), "approval_already_decided", "the others are told why");
    }
    let decisions = engine
        .store()
        .read_stream(StreamId::Run(run), 1)
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.event, DomainEvent::RunStepUpdated { decision: Some(_), .. }))
        .count();
    assert_eq!(decisions, 1, "the log holds one decision");
}

#[test]
fn concurrent_dispatches_on_many_threads_all_land() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let threads: Vec<ThreadId> = (0..4).map(|i| thread(&engine, &format!("t{i}")).1).collect();
    std::thread::scope(|scope| {
        for t in &threads {
            let engine = engine.clone();
            let t = *t;
            scope.spawn(move || {
                for i in 0..25 {
                    say(&engine, t, &format!("message {i}"));
                }
            });
        }
    });
    for t in threads {
        assert_eq!(engine.thread(t).unwrap().message_count, 25);
        assert_eq!(engine.chat_view(t).unwrap().entries.len(), 25);
    }
}

#[test]
fn subscribers_hear_every_view_change() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (_, thread) = thread(&engine, "t");
    engine.chat_view(thread).unwrap(); // load it, so its entry changes are reported
    let mut changes = engine.subscribe();
    let first = say(&engine, thread, "one");
    say(&engine, thread, "two");
    engine.dispatch_blocking(Command::DeleteMessage { thread_id: thread, message_id: first }).unwrap();
    let (run, _) = run_with_reply(&engine, thread);
    let mut seen = Vec::new();
    while let Ok(change) = changes.try_recv() {
        seen.push(change);
    }
    let chat: Vec<ChatChange> = seen
        .iter()
        .filter_map(|c| match c {
            ViewChange::Chat { change, .. } => Some(*change),
            _ => None,
        })
        .collect();
    assert_eq!(
        chat,
        [
            ChatChange::EntryAdded { index: 0 },
            ChatChange::EntryAdded { index: 1 },
            ChatChange::EntriesRemoved { start: 0, end: 1 },
            ChatChange::EntryAdded { index: 1 },
        ]
    );
    assert!(seen.iter().any(|c| matches!(c, ViewChange::ThreadSummary { summary } if summary.id == thread)));
    assert!(seen.iter().any(
        |c| matches!(c, ViewChange::Run { run_id, thread_id } if *run_id == run && *thread_id == thread)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_dispatch_works_inside_a_runtime() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let thread_id = ThreadId::new();
    engine
        .dispatch(Command::CreateThread { thread_id, title: "async".into(), project_id: None })
        .await
        .unwrap();
    let err =
        engine.dispatch(Command::CreateThread { thread_id, title: "again".into(), project_id: None }).await;
    assert_eq!(err.unwrap_err().code(), "already_exists");
    assert_eq!(engine.threads(&ThreadFilter::default()).len(), 1);
}

#[test]
fn stored_content_over_the_limit_is_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (project, _) = thread(&engine, "t");
    let before = engine.store().last_sequence();
    let huge = vec![b'x'; limits::BLOB_BYTES + 1];
    let ctx = DispatchContext { blobs: vec![huge], ..Default::default() };
    let command = Command::RecordFileChange {
        project_id: project,
        path: "big.bin".into(),
        change_type: FileChangeType::Created { after: ContentHash::of(&vec![b'x'; limits::BLOB_BYTES + 1]) },
        run_id: None,
    };
    let error = engine.dispatch_with_blocking(command, ctx).unwrap_err();
    assert_eq!(error.code(), "too_large", "{error}");
    assert_eq!(engine.store().last_sequence(), before, "a refused command writes nothing");
}
