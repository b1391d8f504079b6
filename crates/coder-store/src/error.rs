//! Errors, one enum per operation, each convertible into `StoreError`.

use std::path::PathBuf;

use coder_domain::{ContentHash, StreamId};
use uuid::Uuid;

use crate::codec::DecodeError;

/// Opening the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    #[error("the store at {path} is in use by another Coder process (is the app running?)")]
    Locked { path: PathBuf },
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the store at {path}: {reason}")]
    Storage { path: PathBuf, reason: String },
    /// The file is damaged so that it can be opened neither for writing nor read-only.
    #[error("the store at {path} is damaged and cannot be opened: {reason}")]
    Damaged { path: PathBuf, reason: String },
}

/// An append (or import) was refused or failed; nothing of it was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    #[error("{stream} is at version {actual}, expected {expected}")]
    Conflict { stream: StreamId, expected: String, actual: u64 },
    #[error("the store is read-only: {0}")]
    ReadOnly(String),
    #[error("event {0} appears twice in one append")]
    DuplicateEvent(Uuid),
    #[error("an append needs at least one event")]
    Empty,
    #[error("cannot encode event: {0}")]
    Encode(String),
    #[error("import expected sequence {expected}, found {found}")]
    OutOfSequence { expected: u64, found: u64 },
    #[error("import expected version {expected} of {stream}, found {found}")]
    StreamGap { stream: StreamId, expected: u64, found: u64 },
    #[error("imports go into an empty store only; this one holds {0} events")]
    NotEmpty(u64),
    /// The importer stopped before the end of its input; nothing of the import was stored.
    #[error("the import ended before all of it was sent; nothing of it was stored")]
    ImportAbandoned,
    #[error("storage failure: {0}")]
    Storage(String),
    #[error("the store is closed")]
    Closed,
}

/// A read failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("event {sequence}: {source}")]
    Decode { sequence: u64, source: DecodeError },
    /// The stored record of this event does not match its checksum (or sits under another
    /// sequence than its own): the file was changed outside the store. Its data is not served.
    #[error("event {sequence} is damaged: its stored bytes do not match their checksum")]
    Damaged { sequence: u64 },
    /// The store keeps a checksum for every event, and this one's is gone.
    #[error("event {sequence} is damaged: its checksum is missing")]
    ChecksumMissing { sequence: u64 },
    /// An index entry leads to an event that is not the one it names.
    #[error("the {index} index is damaged: it leads to event {sequence}, which does not belong there")]
    IndexDamaged { index: &'static str, sequence: u64 },
    /// A blob's content no longer hashes to its key.
    #[error("the stored content {hash} is damaged: it no longer matches its hash")]
    BlobDamaged { hash: ContentHash },
    /// redb could not read the file where this read goes (see `guard`).
    #[error("{0}")]
    Unreadable(String),
    #[error("storage failure: {0}")]
    Storage(String),
}

/// Any store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error(transparent)]
    Read(#[from] ReadError),
}

/// redb's many error types all become a storage message here.
pub(crate) fn storage<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

impl ReadError {
    pub(crate) fn storage<E: std::fmt::Display>(e: E) -> Self {
        Self::Storage(e.to_string())
    }
}
