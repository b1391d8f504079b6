//! Threads and messages.

use chrono::{DateTime, Utc};
use smallvec::SmallVec;

use super::{check_label, check_size, limits};
use crate::commands::Command;
use crate::entities::title_from;
use crate::entities::{Message, Thread, TransitionError};
use crate::error::{DomainError, EntityKind};
use crate::events::DomainEvent;
use crate::ids::{MessageId, ThreadId};
use crate::state::DomainState;
use crate::values::{Attachment, Role, IMAGE_TYPES};

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
        C::SendMessage { thread_id, message_id, content, attachments } => {
            let named = open_thread(state, *thread_id)?.named;
            new_message(state, *message_id)?;
            if content.trim().is_empty() && attachments.is_empty() {
                return Err(DomainError::EmptyMessage);
            }
            check_size("message", content.len(), limits::MESSAGE_BYTES)?;
            if attachments.len() > limits::ATTACHMENTS {
                return Err(DomainError::invalid(
                    "attachments",
                    format!("a message carries at most {} attachments", limits::ATTACHMENTS),
                ));
            }
            attachments.iter().try_for_each(check_attachment)?;
            let mut events = vec![DomainEvent::MessageAdded {
                thread_id: *thread_id,
                message_id: *message_id,
                content: content.clone(),
                role: Role::User,
                tool_uses: SmallVec::new(),
                timestamp,
            }];
            events.extend(attachments.iter().map(|attachment| DomainEvent::MessageAttached {
                thread_id: *thread_id,
                message_id: *message_id,
                attachment: attachment.clone(),
                timestamp,
            }));
            // A thread nobody named is titled by its first message: its first words, or the
            // name of what it attaches. A rename, before or after, wins.
            if !named {
                let title = title_from(content).or_else(|| attachments.first().and_then(attachment_title));
                if let Some(title) = title {
                    events.push(updated(*thread_id, Some(title), None, false));
                }
            }
            events
        }
        C::CompactThread {
            thread_id,
            through,
            summary,
            replaced_tokens,
            summary_tokens,
            trigger,
            run_id,
        } => {
            let thread = thread(state, *thread_id)?;
            let last = message(state, *thread_id, *through)?;
            if last.streaming {
                return Err(TransitionError::new("message", through, "streaming", "summarized").into());
            }
            if summary.trim().is_empty() {
                return Err(DomainError::invalid("summary", "must not be empty"));
            }
            check_size("summary", summary.len(), limits::MESSAGE_BYTES)?;
            // A summary only ever moves forward: one that covers less than the thread's newest
            // would send the model messages it has already summarized.
            if let Some(previous) = thread.compacted_through {
                if previous == *through || thread.compacted_at.is_some_and(|at| last.created_at < at) {
                    return Err(DomainError::invalid(
                        "through",
                        "the thread is already summarized past this message",
                    ));
                }
            }
            if let Some(run_id) = run_id {
                if state.runs.get(run_id).is_none_or(|r| r.thread_id != *thread_id) {
                    return Err(DomainError::not_found(EntityKind::Run, run_id));
                }
            }
            vec![DomainEvent::ThreadCompacted {
                thread_id: *thread_id,
                through: *through,
                summary: summary.clone(),
                replaced_tokens: *replaced_tokens,
                summary_tokens: *summary_tokens,
                trigger: trigger.clone(),
                run_id: *run_id,
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

/// An attachment within the limits: a relative file path and text cut at
/// `ATTACHED_FILE_BYTES`, or an image of a type both providers accept and at most `IMAGE_BYTES`.
fn check_attachment(attachment: &Attachment) -> Result<(), DomainError> {
    match attachment {
        Attachment::File { path, content, .. } => {
            if path.trim().is_empty() || path.starts_with('/') || path.split('/').any(|part| part == "..") {
                return Err(DomainError::invalid("attachment path", "must be relative to the project"));
            }
            if path.chars().any(char::is_control) {
                return Err(DomainError::invalid("attachment path", "must not hold control characters"));
            }
            check_size("attachment path", path.len(), limits::PATH_BYTES)?;
            check_size("attached file", content.len(), limits::ATTACHED_FILE_BYTES)
        }
        Attachment::Image { mime_type, bytes, name, .. } => {
            if !IMAGE_TYPES.contains(&mime_type.as_str()) {
                return Err(DomainError::invalid(
                    "image",
                    format!("{mime_type} is not an image type Coder sends (PNG, JPEG or WebP)"),
                ));
            }
            check_size("image name", name.len(), limits::PATH_BYTES)?;
            if name.chars().any(char::is_control) {
                return Err(DomainError::invalid("image name", "must not hold control characters"));
            }
            check_size("image", usize::try_from(*bytes).unwrap_or(usize::MAX), limits::IMAGE_BYTES as usize)
        }
    }
}

/// What an attachment is called in a title; `None` for a nameless one.
fn attachment_title(attachment: &Attachment) -> Option<String> {
    let name = match attachment {
        Attachment::File { path, .. } => path.rsplit('/').next().unwrap_or(path),
        Attachment::Image { name, .. } => name,
    };
    let title: String = name.trim().chars().take(limits::TITLE_CHARS).collect();
    (!title.is_empty()).then_some(title)
}
