//! Threads and messages: given / when / then.

use coder_domain::*;

use crate::support::*;

#[test]
fn create_thread() {
    let thread_id = ThreadId::new();
    given([])
        .when(Command::CreateThread { thread_id, title: "  Plan the release ".into(), project_id: None })
        .then_expect_events(&[DomainEvent::ThreadCreated {
            thread_id,
            title: "Plan the release".into(),
            timestamp: now(),
            project_id: None,
        }]);
}

#[test]
fn create_thread_errors() {
    let w = World::new();
    let s = w.scenario();
    s.when(Command::CreateThread { thread_id: w.thread, title: "again".into(), project_id: None })
        .then_expect_error("already_exists");
    s.when(Command::CreateThread { thread_id: ThreadId::new(), title: " \n ".into(), project_id: None })
        .then_expect_error("invalid_input");
    s.when(Command::CreateThread { thread_id: ThreadId::new(), title: "x".repeat(201), project_id: None })
        .then_expect_error("invalid_input");
    s.when(Command::CreateThread {
        thread_id: ThreadId::new(),
        title: "orphan".into(),
        project_id: Some(ProjectId::new()),
    })
    .then_expect_error("not_found");
}

#[test]
fn rename_thread() {
    let w = World::new();
    let s = w.scenario();
    s.when(Command::RenameThread { thread_id: w.thread, title: "Better".into() }).then_expect_events(&[
        DomainEvent::ThreadUpdated {
            thread_id: w.thread,
            title: Some("Better".into()),
            archived: None,
            timestamp: now(),
            marked_read: false,
        },
    ]);
    s.when(Command::RenameThread { thread_id: w.thread, title: "Fix the bug".into() })
        .then_expect_no_events();
    s.when(Command::RenameThread { thread_id: ThreadId::new(), title: "x".into() })
        .then_expect_error("not_found");
    s.when(Command::RenameThread { thread_id: w.thread, title: "".into() })
        .then_expect_error("invalid_input");
}

#[test]
fn archive_and_unarchive_thread() {
    let w = World::new();
    let mut s = w.scenario();
    s.when(Command::UnarchiveThread { thread_id: w.thread }).then_expect_no_events();
    let events = s.run(Command::ArchiveThread { thread_id: w.thread });
    assert_eq!(
        events,
        [DomainEvent::ThreadUpdated {
            thread_id: w.thread,
            title: None,
            archived: Some(true),
            timestamp: now(),
            marked_read: false
        }]
    );
    s.when(Command::ArchiveThread { thread_id: w.thread }).then_expect_no_events();
    s.when(Command::SendMessage { thread_id: w.thread, message_id: MessageId::new(), content: "hi".into() })
        .then_expect_error("thread_archived");
    s.when(Command::UnarchiveThread { thread_id: w.thread }).then_expect_events(&[
        DomainEvent::ThreadUpdated {
            thread_id: w.thread,
            title: None,
            archived: Some(false),
            timestamp: now(),
            marked_read: false,
        },
    ]);
    s.when(Command::ArchiveThread { thread_id: ThreadId::new() }).then_expect_error("not_found");
    s.when(Command::UnarchiveThread { thread_id: ThreadId::new() }).then_expect_error("not_found");
}

#[test]
fn mark_thread_read_only_when_something_is_unread() {
    let w = World::new();
    let mut s = w.scenario();
    // The world's assistant reply is unread.
    let events = s.run(Command::MarkThreadRead { thread_id: w.thread });
    assert_eq!(
        events,
        [DomainEvent::ThreadUpdated {
            thread_id: w.thread,
            title: None,
            archived: None,
            timestamp: now(),
            marked_read: true
        }]
    );
    s.when(Command::MarkThreadRead { thread_id: w.thread }).then_expect_no_events();
    s.when(Command::MarkThreadRead { thread_id: ThreadId::new() }).then_expect_error("not_found");
}

#[test]
fn send_message() {
    let w = World::new();
    let s = w.scenario();
    let message_id = MessageId::new();
    s.when(Command::SendMessage { thread_id: w.thread, message_id, content: "Run the tests".into() })
        .then_expect_events(&[DomainEvent::MessageAdded {
            thread_id: w.thread,
            message_id,
            content: "Run the tests".into(),
            role: Role::User,
            tool_uses: SmallVec::new(),
            timestamp: now(),
        }]);
}

#[test]
fn send_message_errors() {
    let w = World::new();
    let s = w.scenario();
    let send =
        |thread_id, message_id, content: String| Command::SendMessage { thread_id, message_id, content };
    s.when(send(w.thread, MessageId::new(), "   \n\t".into())).then_expect_error("empty_message");
    s.when(send(w.thread, MessageId::new(), String::new())).then_expect_error("empty_message");
    let e = s
        .when(send(w.thread, MessageId::new(), "x".repeat(limits::MESSAGE_BYTES + 1)))
        .then_expect_error("too_large");
    assert!(e.to_string().contains("limit"), "the message names the limit: {e}");
    s.when(send(ThreadId::new(), MessageId::new(), "hi".into())).then_expect_error("not_found");
    s.when(send(w.thread, w.user_message, "hi".into())).then_expect_error("already_exists");
}

#[test]
fn delete_message() {
    let w = World::new();
    let s = w.scenario();
    s.when(Command::DeleteMessage { thread_id: w.thread, message_id: w.user_message }).then_expect_events(&[
        DomainEvent::MessageDeleted { thread_id: w.thread, message_id: w.user_message, timestamp: now() },
    ]);
    s.when(Command::DeleteMessage { thread_id: w.thread, message_id: w.reply })
        .then_expect_error("illegal_transition");
    s.when(Command::DeleteMessage { thread_id: w.thread, message_id: MessageId::new() })
        .then_expect_error("not_found");
    // A message of another thread is not found in this one.
    let mut s = w.scenario();
    let other = ThreadId::new();
    s.run(Command::CreateThread { thread_id: other, title: "other".into(), project_id: None });
    s.when(Command::DeleteMessage { thread_id: other, message_id: w.user_message })
        .then_expect_error("not_found");
}

#[test]
fn start_assistant_message() {
    let w = World::new();
    let s = w.scenario();
    let message_id = MessageId::new();
    s.when(Command::StartAssistantMessage { thread_id: w.thread, message_id }).then_expect_events(&[
        DomainEvent::MessageAdded {
            thread_id: w.thread,
            message_id,
            content: String::new(),
            role: Role::Assistant,
            tool_uses: SmallVec::new(),
            timestamp: now(),
        },
    ]);
    s.when(Command::StartAssistantMessage { thread_id: w.thread, message_id: w.reply })
        .then_expect_error("already_exists");
    s.when(Command::StartAssistantMessage { thread_id: ThreadId::new(), message_id })
        .then_expect_error("not_found");
}

#[test]
fn stream_text_stores_the_delta() {
    let w = World::new();
    let mut s = w.scenario();
    s.run(Command::StreamText { thread_id: w.thread, message_id: w.reply, delta: "Hel".into() });
    s.when(Command::StreamText { thread_id: w.thread, message_id: w.reply, delta: "lo".into() })
        .then_expect_events(&[DomainEvent::MessageStreaming {
            thread_id: w.thread,
            message_id: w.reply,
            content: "lo".into(),
            timestamp: now(),
        }]);
    assert_eq!(s.state.messages[&w.reply].content, "Hel", "the state accumulates the deltas");
}

#[test]
fn stream_text_errors() {
    let w = World::new();
    let mut s = w.scenario();
    let stream = |message_id, delta: &str| Command::StreamText {
        thread_id: w.thread,
        message_id,
        delta: delta.into(),
    };
    s.when(stream(w.reply, "")).then_expect_error("invalid_input");
    s.when(stream(w.user_message, "x")).then_expect_error("illegal_transition");
    s.when(stream(MessageId::new(), "x")).then_expect_error("not_found");
    s.when(stream(w.reply, &"x".repeat(limits::MESSAGE_BYTES + 1))).then_expect_error("too_large");
    s.run(Command::CompleteMessage {
        thread_id: w.thread,
        message_id: w.reply,
        final_content: "done".into(),
    });
    s.when(stream(w.reply, "late")).then_expect_error("illegal_transition");
}

#[test]
fn complete_message() {
    let w = World::new();
    let mut s = w.scenario();
    let complete = |message_id, text: &str| Command::CompleteMessage {
        thread_id: w.thread,
        message_id,
        final_content: text.into(),
    };
    s.when(complete(w.reply, "All fixed.")).then_expect_events(&[DomainEvent::MessageComplete {
        thread_id: w.thread,
        message_id: w.reply,
        final_content: "All fixed.".into(),
        timestamp: now(),
    }]);
    s.when(complete(MessageId::new(), "x")).then_expect_error("not_found");
    s.when(complete(w.reply, &"x".repeat(limits::MESSAGE_BYTES + 1))).then_expect_error("too_large");
    s.run(complete(w.reply, "All fixed."));
    s.when(complete(w.reply, "again")).then_expect_error("illegal_transition");
}
