//! Threads and messages.

use chrono::{DateTime, Utc};
use smallvec::SmallVec;

use super::{check_label, check_size, limits};
use crate::commands::Command;
use crate::entities::{Message, Thread, TransitionError};
use crate::error::{DomainError, EntityKind};
use crate::events::DomainEvent;
use crate::ids::{MessageId, ThreadId};
use crate::state::DomainState;
use crate::values::Role;

pub(super) fn decide(
    state: &DomainState,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    use Command as C;
    let timestamp = now;
    let updated = |thread_id: ThreadId, title: Option<String>, archived: Option<bool>, read: bool| {
        DomainEvent::ThreadUpdated { thread_id, title, archived, timestamp, marked_read: read }
    };
    let events = match command {
        C::CreateThread { thread_id, title, project_id } => {
            if state.threads.contains_key(thread_id) {
                return Err(DomainError::exists(EntityKind::Thread, thread_id));
            }
            if let Some(project_id) = project_id {
                if !state.projects.contains_key(project_id) {
                    return Err(DomainError::not_found(EntityKind::Project, project_id));
                }
            }
            let title = check_label("title", title, limits::TITLE_CHARS)?;
            vec![DomainEvent::ThreadCreated {
                thread_id: *thread_id,
                title,
                timestamp,
                project_id: *project_id,
            }]
        }
        C::RenameThread { thread_id, title } => {
            let thread = thread(state, *thread_id)?;
            let title = check_label("title", title, limits::TITLE_CHARS)?;
            if thread.title == title {
                return Ok(Vec::new());
            }
            vec![updated(*thread_id, Some(title), None, false)]
        }
        C::ArchiveThread { thread_id } | C::UnarchiveThread { thread_id } => {
            let archive = matches!(command, C::ArchiveThread { .. });
            if thread(state, *thread_id)?.archived == archive {
                return Ok(Vec::new());
            }
            vec![updated(*thread_id, None, Some(archive), false)]
        }
        C::MarkThreadRead { thread_id } => {
            if thread(state, *thread_id)?.unread == 0 {
                return Ok(Vec::new());
            }
            vec![updated(*thread_id, None, None, true)]
        }
        C::SendMessage { thread_id, message_id, content } => {
            open_thread(state, *thread_id)?;
            new_message(state, *message_id)?;
            if content.trim().is_empty() {
                return Err(DomainError::EmptyMessage);
            }
            check_size("message", content.len(), limits::MESSAGE_BYTES)?;
            vec![DomainEvent::MessageAdded {
                thread_id: *thread_id,
                message_id: *message_id,
                content: content.clone(),
                role: Role::User,
                tool_uses: SmallVec::new(),
                timestamp,
            }]
        }
        C::DeleteMessage { thread_id, message_id } => {
            let message = message(state, *thread_id, *message_id)?;
            if message.streaming {
                return Err(TransitionError::new("message", message_id, "streaming", "deleted").into());
            }
            vec![DomainEvent::MessageDeleted { thread_id: *thread_id, message_id: *message_id, timestamp }]
        }
        C::StartAssistantMessage { thread_id, message_id } => {
            thread(state, *thread_id)?;
            new_message(state, *message_id)?;
            vec![DomainEvent::MessageAdded {
                thread_id: *thread_id,
                message_id: *message_id,
                content: String::new(),
                role: Role::Assistant,
                tool_uses: SmallVec::new(),
                timestamp,
            }]
        }
        C::StreamText { thread_id, message_id, delta } => {
            let message = message(state, *thread_id, *message_id)?;
            if !message.streaming {
                return Err(TransitionError::new("message", message_id, "complete", "streaming").into());
            }
            if delta.is_empty() {
                return Err(DomainError::invalid("delta", "must not be empty"));
            }
            check_size("streamed text", message.content.len() + delta.len(), limits::MESSAGE_BYTES)?;
            vec![DomainEvent::MessageStreaming {
                thread_id: *thread_id,
                message_id: *message_id,
                content: delta.clone(),
                timestamp,
            }]
        }
        C::CompleteMessage { thread_id, message_id, final_content } => {
            let message = message(state, *thread_id, *message_id)?;
            if !message.streaming {
                return Err(TransitionError::new("message", message_id, "complete", "complete").into());
            }
            check_size("message", final_content.len(), limits::MESSAGE_BYTES)?;
            vec![DomainEvent::MessageComplete {
                thread_id: *thread_id,
                message_id: *message_id,
                final_content: final_content.clone(),
                timestamp,
            }]
        }
        _ => unreachable!("routed by decide()"),
    };
    Ok(events)
}

fn thread(state: &DomainState, id: ThreadId) -> Result<&Thread, DomainError> {
    state.threads.get(&id).ok_or_else(|| DomainError::not_found(EntityKind::Thread, id))
}

/// A thread that accepts new messages from a person.
fn open_thread(state: &DomainState, id: ThreadId) -> Result<&Thread, DomainError> {
    let thread = thread(state, id)?;
    if thread.archived {
        return Err(DomainError::ThreadArchived);
    }
    Ok(thread)
}

fn new_message(state: &DomainState, id: MessageId) -> Result<(), DomainError> {
    if state.messages.contains_key(&id) {
        return Err(DomainError::exists(EntityKind::Message, id));
    }
    Ok(())
}

/// A message of this thread; one of another thread counts as not found.
fn message(state: &DomainState, thread_id: ThreadId, id: MessageId) -> Result<&Message, DomainError> {
    thread(state, thread_id)?;
    state
        .messages
        .get(&id)
        .filter(|m| m.thread_id == thread_id)
        .ok_or_else(|| DomainError::not_found(EntityKind::Message, id))
}
