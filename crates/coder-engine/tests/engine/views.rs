use std::sync::Arc;

use coder_domain::*;
use coder_engine::{Engine, QueryError};
use coder_store::SnapshotWrite;
use tempfile::TempDir;

use crate::support::*;

/// A thread long enough to cross several snapshot intervals, with streaming and tools.
fn busy_thread(engine: &Engine) -> ThreadId {
    let (_, thread) = thread(engine, "busy");
    for turn in 0..12 {
        say(engine, thread, &format!("question {turn}"));
        let (run, reply) = run_with_reply(engine, thread);
        for chunk in 0..3 {
            engine
                .dispatch_blocking(Command::StreamText {
                    thread_id: thread,
                    message_id: reply,
                    delta: format!("part {chunk} "),
                })
                .unwrap();
        }
        let (step, tool) = gated_tool(engine, run, reply);
        engine
            .dispatch_blocking(Command::ApproveStep { run_id: run, step_id: step, by: Approver::Person })
            .unwrap();
        engine
            .dispatch_blocking(Command::CompleteToolUse {
                tool_use_id: tool,
                result: ToolOutput::Text("ok".into()),
                duration_ms: 3,
            })
            .unwrap();
        engine
            .dispatch_blocking(Command::CompleteMessage {
                thread_id: thread,
                message_id: reply,
                final_content: format!("answer {turn}"),
            })
            .unwrap();
        engine
            .dispatch_blocking(Command::FinishRun {
                run_id: run,
                status: RunStatus::Success,
                cost: Cost::default(),
                duration_ms: 1,
            })
            .unwrap();
    }
    thread
}

#[test]
fn snapshot_plus_tail_equals_full_replay_across_restarts() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let thread = busy_thread(&engine);
    let loaded = engine.chat_view(thread).unwrap();
    // More events while the view is cached: they are applied live, and snapshots are taken.
    say(&engine, thread, "after loading");
    let live = engine.chat_view(thread).unwrap();
    assert_eq!(shown(&live), shown(&full_replay(&engine, thread)), "live view = full replay");
    assert_eq!(live.entries.len(), loaded.entries.len() + 1);
    let snapshots = engine.store().stats().unwrap().snapshots;
    assert!(snapshots > 0, "a view past chat_snapshot_every events is snapshotted");
    engine.close();

    let engine = open(&dir);
    let reopened = engine.chat_view(thread).unwrap();
    assert_eq!(shown(&reopened), shown(&full_replay(&engine, thread)), "snapshot + tail = full replay");
    assert_eq!(engine.threads(&ThreadFilter::default()).len(), 1, "the thread list is restored");
}

#[test]
fn a_snapshot_of_another_version_is_ignored() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let thread = busy_thread(&engine);
    let expected = shown(&full_replay(&engine, thread));
    engine
        .store()
        .save_snapshot_blocking(SnapshotWrite {
            projection: ChatView::NAME.into(),
            key: thread.as_uuid().as_bytes().to_vec(),
            sequence: engine.store().last_sequence(),
            version: ChatView::VERSION + 1,
            bytes: b"not what this version wrote".to_vec(),
        })
        .unwrap();
    engine.close();
    let engine = open(&dir);
    assert_eq!(shown(&engine.chat_view(thread).unwrap()), expected);
}

#[test]
fn chat_view_at_shows_the_thread_as_it_was() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let thread = busy_thread(&engine);
    let events = engine.thread_events(thread).unwrap();
    for cut in [1, events.len() / 3, events.len() / 2, events.len() - 1] {
        let at = events[cut].sequence;
        let mut expected = ChatView::new(thread);
        for e in events.iter().take_while(|e| e.sequence <= at) {
            expected.apply_stored(e);
        }
        let past = engine.chat_view_at(thread, at).unwrap();
        assert_eq!(shown(&past), shown(&expected), "the view right after sequence {at}");
    }
    // Time travel after a restart uses the stored snapshots.
    engine.close();
    let engine = open(&dir);
    let at = events[events.len() / 2].sequence;
    let mut expected = ChatView::new(thread);
    for e in events.iter().take_while(|e| e.sequence <= at) {
        expected.apply_stored(e);
    }
    assert_eq!(shown(&engine.chat_view_at(thread, at).unwrap()), shown(&expected));
}

#[test]
fn the_past_chat_view_is_the_thread_as_it_was_and_is_kept() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let thread = busy_thread(&engine);
    let events = engine.thread_events(thread).unwrap();
    let at = events[events.len() / 2].sequence;
    let past = engine.past_chat_view(thread, at).unwrap();
    assert_eq!(shown(&past), shown(&engine.chat_view_at(thread, at).unwrap()), "the view right after {at}");
    say(&engine, thread, "later");
    let again = engine.past_chat_view(thread, at).unwrap();
    assert!(Arc::ptr_eq(&past, &again), "the next page of the same past view is read from the kept one");
    let ahead = engine.past_chat_view(thread, u64::MAX).unwrap();
    assert_eq!(shown(&ahead), shown(&engine.chat_view(thread).unwrap()), "a sequence not yet reached is now");
    assert!(
        matches!(engine.past_chat_view(ThreadId::new(), at), Err(QueryError::NotFound { .. })),
        "an unknown thread has no past"
    );
}

#[test]
fn thread_runs_are_the_newest_of_that_thread_across_restarts() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (_, listed) = thread(&engine, "listed");
    let (_, other) = thread(&engine, "other");
    let run_in = |thread_id| {
        let run_id = RunId::new();
        engine
            .dispatch_blocking(Command::StartRun { run_id, thread_id, agent_name: "coder".into() })
            .unwrap();
        engine
            .dispatch_blocking(Command::FinishRun {
                run_id,
                status: RunStatus::Cancelled,
                cost: Cost::default(),
                duration_ms: 1,
            })
            .unwrap();
        run_id
    };
    let mine: Vec<RunId> = (0..5).map(|_| run_in(listed)).collect();
    run_in(other);
    let newest: Vec<RunId> = mine.iter().rev().take(3).copied().collect();
    let listed_ids = |engine: &Engine| engine.thread_runs(listed, 3).iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(listed_ids(&engine), newest, "the three newest of its five, newest first; not the other's");
    engine.close();
    let engine = open(&dir);
    assert_eq!(listed_ids(&engine), newest, "the same list from the restored write model");
}

#[test]
fn the_cache_is_bounded_and_evicted_views_reload_correctly() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir); // cache of 2
    let threads: Vec<ThreadId> = (0..4).map(|i| thread(&engine, &format!("t{i}")).1).collect();
    for (i, t) in threads.iter().enumerate() {
        for k in 0..=i {
            say(&engine, *t, &format!("m{k}"));
        }
        engine.chat_view(*t).unwrap();
    }
    for (i, t) in threads.iter().enumerate() {
        say(&engine, *t, "late");
        assert_eq!(
            engine.chat_view(*t).unwrap().entries.len(),
            i + 2,
            "thread {i} reloads with every message"
        );
    }
}

#[test]
fn run_project_and_correlation_views() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (project, thread) = thread(&engine, "t");
    let (run, reply) = run_with_reply(&engine, thread);
    let (_, tool) = gated_tool(&engine, run, reply);
    let view = engine.run_view(run).unwrap();
    assert_eq!(view.run.as_ref().unwrap().status, RunStatus::WaitingForApproval);
    assert_eq!(view.pending_approvals().len(), 1);
    assert_eq!(view.tool_use(tool).unwrap().status, ToolStatus::Pending);

    let content = b"fn main() {}\n".to_vec();
    let ctx = coder_engine::DispatchContext { blobs: vec![content.clone()], ..Default::default() };
    let change = FileChangeType::Created { after: ContentHash::of(&content) };
    engine
        .dispatch_with_blocking(
            Command::RecordFileChange {
                project_id: project,
                path: "src/main.rs".into(),
                change_type: change,
                run_id: Some(run),
            },
            ctx,
        )
        .unwrap();
    let files = engine.project_files(project).unwrap();
    assert_eq!(files.of_run(run).count(), 1);
    assert_eq!(
        engine.store().blob(ContentHash::of(&content)).unwrap(),
        Some(content),
        "the content is stored with it"
    );

    let correlation = engine.store().read_stream(StreamId::Run(run), 1).unwrap()[0].correlation_id;
    assert!(!engine.correlation(correlation).unwrap().events.is_empty());
    assert_eq!(engine.run_view(RunId::new()).unwrap_err().code(), "not_found");
}
