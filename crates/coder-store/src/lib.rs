//! # coder-store
//!
//! Coder's event log on redb. One writer thread group-commits appends (one fsync per batch of
//! concurrent callers); readers use redb's MVCC snapshots and never block it. The log is global
//! and gapless (sequence 1, 2, 3, …), with a stream index for optimistic concurrency, a
//! correlation index, an event-id index for idempotent appends, content-addressed blobs and
//! versioned projection snapshots. Every event and snapshot carries a checksum that each read
//! checks, so damage to the file is reported, never served. See `docs/storage.md` for the on-disk format.

pub mod checksum;
pub mod codec;
mod error;
mod export;
mod file;
mod guard;
mod migrate;
mod records;
mod snapshots;
mod store;
mod subscription;
pub mod tables;
pub mod upcast;
mod verify;
mod writer;

pub use codec::DecodeError;
pub use error::{AppendError, OpenError, ReadError, StoreError};
pub use export::{export, import, import_with_limit, ExportError, ImportError, MAX_IMPORT_LINE_BYTES};
pub use file::IntegrityCheck;
pub use snapshots::{SnapshotWrite, StoredSnapshot, KEEP as SNAPSHOTS_KEPT};
pub use store::{EventStore, StoreStats};
pub use subscription::Subscription;
pub use verify::{verify, VerifyReport};
pub use writer::{AppendRequest, ExpectedVersion};

/// The store's file name inside a data directory.
pub const STORE_FILE: &str = "coder.redb";
