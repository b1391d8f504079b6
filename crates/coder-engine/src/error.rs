//! Engine errors. Each has a stable `code()` for the IPC boundary and the CLI.

use coder_domain::DomainError;
use coder_store::{AppendError, OpenError, ReadError};

/// Opening the engine failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("no data directory: set CODER_DATA_DIR or HOME")]
    NoDataDir,
    #[error("start-up recovery failed: {0}")]
    Recovery(String),
    #[error("the data directory {0} cannot be made private to you: {1}")]
    DataDir(String, String),
}

impl EngineError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Open(OpenError::Locked { .. }) => "store_locked",
            Self::Open(OpenError::Damaged { .. }) => "store_damaged",
            Self::Open(_) => "store_unavailable",
            Self::Read(e) if is_damage(e) => "store_damaged",
            Self::Read(_) => "store_unreadable",
            Self::NoDataDir => "no_data_dir",
            Self::Recovery(_) => "recovery_failed",
            Self::DataDir(..) => "store_unavailable",
        }
    }
}

/// A command was refused or could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error("the engine has stopped")]
    Stopped,
}

impl DispatchError {
    /// The domain's code for a refused command; a store code otherwise.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Domain(e) => e.code(),
            Self::Append(AppendError::ReadOnly(_)) => "store_read_only",
            Self::Append(AppendError::Conflict { .. }) => "conflict",
            Self::Append(_) => "store_write_failed",
            Self::Stopped => "engine_stopped",
        }
    }
}

/// A query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    #[error("no {kind} with id {id}")]
    NotFound { kind: &'static str, id: String },
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("a stored snapshot could not be read: {0}")]
    Snapshot(String),
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::Read(e) if is_damage(e) => "store_damaged",
            Self::Read(_) | Self::Snapshot(_) => "store_unreadable",
        }
    }
}

/// Whether a read failed because the store's file is damaged (changed outside the store, or
/// unreadable to redb), rather than for a passing reason or an event this build cannot decode.
fn is_damage(e: &ReadError) -> bool {
    matches!(
        e,
        ReadError::Damaged { .. }
            | ReadError::ChecksumMissing { .. }
            | ReadError::IndexDamaged { .. }
            | ReadError::BlobDamaged { .. }
            | ReadError::Unreadable(_)
    )
}
