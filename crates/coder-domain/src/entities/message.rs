use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::TransitionError;
use crate::ids::{MessageId, ThreadId, ToolUseId};
use crate::values::Role;

/// A chat message. Assistant messages start empty and `streaming`, grow by appended text, and
/// end with `complete`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Message {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub content: String,
    pub role: Role,
    pub tool_uses: SmallVec<[ToolUseId; 4]>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Is this message still being streamed?
    pub streaming: bool,
}

impl Message {
    /// A finished message written by the person.
    pub fn new_user(thread_id: ThreadId, content: String) -> Self {
        Self::new(MessageId::new(), thread_id, content, Role::User, false, Utc::now())
    }

    /// An empty assistant message that is about to stream.
    pub fn new_assistant(thread_id: ThreadId) -> Self {
        Self::new(MessageId::new(), thread_id, String::new(), Role::Assistant, true, Utc::now())
    }

    pub(crate) fn new(
        id: MessageId,
        thread_id: ThreadId,
        content: String,
        role: Role,
        streaming: bool,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            thread_id,
            content,
            role,
            tool_uses: SmallVec::new(),
            created_at: at,
            updated_at: at,
            streaming,
        }
    }

    /// Appends streamed text. Only a streaming message grows.
    pub fn append_content(&mut self, delta: &str, at: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.streaming {
            return Err(TransitionError::new("message", self.id, "complete", "streaming"));
        }
        self.content.push_str(delta);
        self.updated_at = at;
        Ok(())
    }

    /// Ends the stream with the final text. A message completes once.
    pub fn complete(&mut self, final_content: &str, at: DateTime<Utc>) -> Result<(), TransitionError> {
        if !self.streaming {
            return Err(TransitionError::new("message", self.id, "complete", "complete"));
        }
        final_content.clone_into(&mut self.content);
        self.streaming = false;
        self.updated_at = at;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assistant_message_streams_then_completes_once() {
        let mut m = Message::new_assistant(ThreadId::new());
        assert!(m.streaming && m.content.is_empty());
        m.append_content("Hel", Utc::now()).unwrap();
        m.append_content("lo", Utc::now()).unwrap();
        assert_eq!(m.content, "Hello");
        m.complete("Hello!", Utc::now()).unwrap();
        assert!(!m.streaming);
        assert!(m.complete("again", Utc::now()).is_err(), "completing twice is illegal");
        assert!(m.append_content("x", Utc::now()).is_err(), "a complete message does not grow");
        assert_eq!(m.content, "Hello!", "a refused transition changes nothing");
    }

    #[test]
    fn user_message_is_complete() {
        let m = Message::new_user(ThreadId::new(), "hi".into());
        assert_eq!(m.role, Role::User);
        assert!(!m.streaming);
    }
}
