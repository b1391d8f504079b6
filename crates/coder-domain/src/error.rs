//! `DomainError`: why `decide` refused a command.
//!
//! Each case has a stable machine code (`code()`), which crosses the IPC boundary and which the
//! UI maps to words, and a readable message (`Display`). Codes are part of the public contract:
//! never rename one, only add.

use crate::entities::TransitionError;

/// The kinds of entity an id can name, for "not found" and "already exists" errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntityKind {
    Thread,
    Message,
    Run,
    Step,
    ToolUse,
    Project,
}

impl EntityKind {
    fn noun(self) -> &'static str {
        match self {
            Self::Thread => "thread",
            Self::Message => "message",
            Self::Run => "run",
            Self::Step => "step",
            Self::ToolUse => "tool use",
            Self::Project => "project",
        }
    }
}

impl std::fmt::Display for EntityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.noun())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    #[error("a message needs some text")]
    EmptyMessage,
    #[error("{what} is too large: {size} bytes, the limit is {limit}")]
    TooLarge { what: &'static str, size: usize, limit: usize },
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    #[error("no {kind} with id {id}")]
    NotFound { kind: EntityKind, id: String },
    #[error("a {kind} with id {id} already exists")]
    AlreadyExists { kind: EntityKind, id: String },
    #[error("the thread is archived; unarchive it first")]
    ThreadArchived,
    #[error("{0}")]
    IllegalTransition(TransitionError),
    #[error("step {step} is not waiting for approval")]
    StepNotAwaitingApproval { step: String },
    #[error("step {step} was already {verdict}")]
    ApprovalAlreadyDecided { step: String, verdict: &'static str },
    #[error("the file {path} changed since Coder last saw it")]
    StaleFileChange { path: String },
    #[error("nothing to change")]
    NothingToChange,
}

impl DomainError {
    /// The stable machine code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyMessage => "empty_message",
            Self::TooLarge { .. } => "too_large",
            Self::InvalidInput { .. } => "invalid_input",
            Self::NotFound { .. } => "not_found",
            Self::AlreadyExists { .. } => "already_exists",
            Self::ThreadArchived => "thread_archived",
            Self::IllegalTransition(_) => "illegal_transition",
            Self::StepNotAwaitingApproval { .. } => "step_not_awaiting_approval",
            Self::ApprovalAlreadyDecided { .. } => "approval_already_decided",
            Self::StaleFileChange { .. } => "stale_file_change",
            Self::NothingToChange => "nothing_to_change",
        }
    }

    /// Every code `code()` can return, for tables that must cover them all.
    pub const CODES: [&'static str; 11] = [
        "empty_message",
        "too_large",
        "invalid_input",
        "not_found",
        "already_exists",
        "thread_archived",
        "illegal_transition",
        "step_not_awaiting_approval",
        "approval_already_decided",
        "stale_file_change",
        "nothing_to_change",
    ];

    pub(crate) fn not_found(kind: EntityKind, id: impl ToString) -> Self {
        Self::NotFound { kind, id: id.to_string() }
    }

    pub(crate) fn exists(kind: EntityKind, id: impl ToString) -> Self {
        Self::AlreadyExists { kind, id: id.to_string() }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput { field, reason: reason.into() }
    }
}

impl From<TransitionError> for DomainError {
    fn from(e: TransitionError) -> Self {
        Self::IllegalTransition(e)
    }
}
