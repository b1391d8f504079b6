//! A thread's events written by hand, for the tests of the conversation and of the cut.

use coder_domain::*;
use serde_json::json;

/// Events of one thread, in order.
pub(crate) struct Script {
    pub thread_id: ThreadId,
    pub run_id: RunId,
    pub events: Vec<EventEnvelope>,
}

impl Script {
    pub fn new() -> Self {
        Self { thread_id: ThreadId::new(), run_id: RunId::new(), events: Vec::new() }
    }

    fn push(&mut self, event: DomainEvent) {
        let sequence = self.events.len() as u64 + 1;
        self.events.push(NewEvent::new(event).into_envelope(
            sequence,
            StreamId::Thread(self.thread_id),
            sequence,
        ));
    }

    fn added(&mut self, role: Role, content: &str) -> MessageId {
        let message_id = MessageId::new();
        self.push(DomainEvent::MessageAdded {
            thread_id: self.thread_id,
            message_id,
            content: content.into(),
            role,
            tool_uses: SmallVec::new(),
            timestamp: Utc::now(),
        });
        message_id
    }

    pub fn user(&mut self, content: &str) -> MessageId {
        self.added(Role::User, content)
    }

    /// An assistant message, complete.
    pub fn assistant(&mut self, content: &str) -> MessageId {
        let id = self.streaming();
        self.complete(id, content);
        id
    }

    /// An assistant message still streaming.
    pub fn streaming(&mut self) -> MessageId {
        self.added(Role::Assistant, "")
    }

    pub fn complete(&mut self, message_id: MessageId, content: &str) {
        self.push(DomainEvent::MessageComplete {
            thread_id: self.thread_id,
            message_id,
            final_content: content.into(),
            timestamp: Utc::now(),
        });
    }

    /// A `read_file` call of `message_id`, not yet ended.
    pub fn call(&mut self, message_id: MessageId, path: &str) -> ToolUseId {
        let tool_use_id = ToolUseId::new();
        self.push(DomainEvent::ToolUseStarted {
            tool_use_id,
            run_id: self.run_id,
            message_id,
            tool_name: "read_file".into(),
            input: json!({ "path": path }),
            timestamp: Utc::now(),
        });
        tool_use_id
    }

    pub fn result(&mut self, tool_use_id: ToolUseId, output: &str) {
        self.push(DomainEvent::ToolUseComplete {
            tool_use_id,
            result: ToolOutput::Text(output.into()),
            duration_ms: 1,
            timestamp: Utc::now(),
        });
    }

    pub fn compacted(&mut self, through: MessageId, summary: &str) {
        self.push(DomainEvent::ThreadCompacted {
            thread_id: self.thread_id,
            through,
            summary: summary.into(),
            replaced_tokens: 100,
            summary_tokens: 10,
            trigger: CompactionTrigger::Manual,
            run_id: None,
            timestamp: Utc::now(),
        });
    }

    pub fn deleted(&mut self, message_id: MessageId) {
        self.push(DomainEvent::MessageDeleted {
            thread_id: self.thread_id,
            message_id,
            timestamp: Utc::now(),
        });
    }

    /// A question, an answer that reads a file, the file's text, and a closing answer.
    pub fn turn(&mut self, i: usize, output: &str) -> (MessageId, MessageId) {
        self.user(&format!("question {i}"));
        let reading = self.assistant(&format!("reading {i}"));
        let tool = self.call(reading, &format!("src/{i}.rs"));
        self.result(tool, output);
        let answer = self.assistant(&format!("answer {i}"));
        (reading, answer)
    }
}

/// Panics unless every tool call in `messages` has exactly one result after it and every result
/// answers a call before it.
pub(crate) fn assert_paired(messages: &[crate::provider::ModelMessage]) {
    use crate::provider::ModelMessage;
    let mut open: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for message in messages {
        match message {
            ModelMessage::Assistant { tool_calls, .. } => {
                open.extend(tool_calls.iter().map(|c| c.id.as_str()));
            }
            ModelMessage::ToolResult { tool_call_id, .. } => {
                assert!(open.remove(tool_call_id.as_str()), "a result without its call: {tool_call_id}");
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "calls without their results: {open:?}");
}
