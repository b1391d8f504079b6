//! The seed model's two examples, as the seed writes them (plus the `thread_id` they assume).

use coder_domain::*;

#[test]
fn test_message_added() {
    let thread_id = ThreadId::new();
    let mut view = ChatView::new(thread_id);

    let event = DomainEvent::MessageAdded {
        thread_id,
        message_id: MessageId::new(),
        content: "Test message".into(),
        role: Role::User,
        tool_uses: SmallVec::new(),
        timestamp: Utc::now(),
    };

    view.apply(&event);

    assert_eq!(view.entries.len(), 1);
    assert_eq!(view.message_count, 1);

    if let ChatEntry::Message(msg) = &view.entries[0] {
        assert_eq!(msg.content, "Test message");
        assert_eq!(msg.role, Role::User);
    } else {
        panic!("Expected message entry");
    }
}

#[test]
fn test_streaming_message() {
    let thread_id = ThreadId::new();
    let mut view = ChatView::new(thread_id);
    let message_id = MessageId::new();

    // Add empty message
    view.apply(&DomainEvent::MessageAdded {
        thread_id,
        message_id,
        content: "".into(),
        role: Role::Assistant,
        tool_uses: SmallVec::new(),
        timestamp: Utc::now(),
    });

    // Stream content
    view.apply(&DomainEvent::MessageStreaming {
        thread_id,
        message_id,
        content: "Hello".into(),
        timestamp: Utc::now(),
    });

    assert_eq!(view.streaming_message, Some((message_id, "Hello".into())));

    // Complete
    view.apply(&DomainEvent::MessageComplete {
        thread_id,
        message_id,
        final_content: "Hello, world!".into(),
        timestamp: Utc::now(),
    });

    assert_eq!(view.streaming_message, None);

    if let ChatEntry::Message(msg) = &view.entries[0] {
        assert_eq!(msg.content, "Hello, world!");
    }
}

/// The seed's `Snapshot::restore` over plain events.
#[test]
fn snapshot_restore_applies_the_tail() {
    let thread_id = ThreadId::new();
    let mut view = ChatView::new(thread_id);
    let first = DomainEvent::MessageAdded {
        thread_id,
        message_id: MessageId::new(),
        content: "one".into(),
        role: Role::User,
        tool_uses: SmallVec::new(),
        timestamp: Utc::now(),
    };
    view.apply(&first);
    let snapshot = Snapshot { sequence: 1, timestamp: Utc::now(), projection: view };
    let tail = [DomainEvent::MessageAdded {
        thread_id,
        message_id: MessageId::new(),
        content: "two".into(),
        role: Role::User,
        tool_uses: SmallVec::new(),
        timestamp: Utc::now(),
    }];
    let restored = Snapshot::restore(snapshot, &tail);
    assert_eq!(restored.entries.len(), 2, "snapshot entry plus the tail's");
    assert_eq!(restored.message_count, 2);
}
