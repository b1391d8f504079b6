//! `decide`: the pure function from state and command to events.
//!
//! `decide(&state, &command, now)` validates the command against the state and returns the events
//! that record it, or a `DomainError` and no events. It reads no clock (`now` is passed in), draws
//! no random numbers (new ids come in the command) and does no I/O, so the same state and command
//! always give the same events. Where a command changes a run, the decision is checked by
//! applying it to a copy of that run, so `decide` and `apply` cannot disagree on what is legal.

mod project;
mod run;
mod thread;

use chrono::{DateTime, Utc};

use crate::commands::Command;
use crate::error::DomainError;
use crate::events::DomainEvent;
use crate::state::DomainState;

/// Limits on what one command may carry. Larger inputs are refused with `too_large`.
pub mod limits {
    /// Bytes of one message's text (a person's message, a streamed chunk, a final text).
    pub const MESSAGE_BYTES: usize = 1024 * 1024;
    /// Characters of a thread title.
    pub const TITLE_CHARS: usize = 200;
    /// Characters of a project name.
    pub const NAME_CHARS: usize = 200;
    /// Bytes of a path.
    pub const PATH_BYTES: usize = 4096;
    /// Bytes of a tool's input, serialized as JSON.
    pub const TOOL_INPUT_BYTES: usize = 1024 * 1024;
    /// Bytes of a tool's output, serialized as JSON.
    pub const TOOL_OUTPUT_BYTES: usize = 4 * 1024 * 1024;
    /// Bytes of one artifact.
    pub const ARTIFACT_BYTES: usize = 4 * 1024 * 1024;
    /// Bytes of an error or status text.
    pub const NOTE_BYTES: usize = 64 * 1024;
    /// Permission rules of one project.
    pub const RULES: usize = 500;
    /// Bytes of one permission rule's pattern.
    pub const RULE_PATTERN_BYTES: usize = 1024;
    /// Bytes of one stored content (a file's text before or after a change). Tools and the
    /// tree of a command's effects stay well under it; it bounds what any caller can store.
    pub const BLOB_BYTES: usize = 16 * 1024 * 1024;
    /// Attachments of one message.
    pub const ATTACHMENTS: usize = 20;
    /// Bytes of one attached file's text; a longer file is cut there and marked truncated.
    pub const ATTACHED_FILE_BYTES: usize = 256 * 1024;
    /// Bytes of one attached image.
    pub const IMAGE_BYTES: u64 = 5 * 1024 * 1024;
}

/// Validates `command` against `state` and returns the events that record it.
pub fn decide(
    state: &DomainState,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    use Command as C;
    match command {
        C::CreateThread { .. }
        | C::RenameThread { .. }
        | C::ArchiveThread { .. }
        | C::UnarchiveThread { .. }
        | C::MarkThreadRead { .. }
        | C::SendMessage { .. }
        | C::CompactThread { .. }
        | C::DeleteMessage { .. }
        | C::StartAssistantMessage { .. }
        | C::StreamText { .. }
        | C::CompleteMessage { .. } => thread::decide(state, command, now),
        C::CreateProject { .. } | C::UpdateProject { .. } | C::RecordFileChange { .. } => {
            project::decide(state, command, now)
        }
        C::ApproveStep { .. }
        | C::RejectStep { .. }
        | C::CancelRun { .. }
        | C::FailRun { .. }
        | C::InterruptRun { .. }
        | C::CancelToolUse { .. }
        | C::StartRun { .. }
        | C::StartToolUse { .. }
        | C::ReportToolProgress { .. }
        | C::CompleteToolUse { .. }
        | C::FailToolUse { .. }
        | C::StartStep { .. }
        | C::DenyToolCall { .. }
        | C::UpdateStep { .. }
        | C::CompleteStep { .. }
        | C::AddArtifact { .. }
        | C::FinishRun { .. } => run::decide(state, command, now),
    }
}

/// Refuses text over `limit` bytes.
fn check_size(what: &'static str, size: usize, limit: usize) -> Result<(), DomainError> {
    if size > limit {
        return Err(DomainError::TooLarge { what, size, limit });
    }
    Ok(())
}

/// A trimmed, non-empty single-line text of at most `max_chars` characters.
fn check_label(field: &'static str, text: &str, max_chars: usize) -> Result<String, DomainError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(DomainError::invalid(field, format!("must be at most {max_chars} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::invalid(field, "must not contain control characters"));
    }
    Ok(trimmed.to_owned())
}
