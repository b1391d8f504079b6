//! The store file: its permissions, and the redb handle that readers and the writer share.
//!
//! The handle sits in a slot rather than behind a plain `Arc` because two operations need it
//! alone. After an I/O failure (a full disk, say) redb refuses every later operation on that
//! handle (`PreviousIo`) until the file is closed and opened again; the writer does that here
//! once the failure is behind it, so a store that ran out of space works again once space is
//! back, without a restart. And redb's integrity check takes `&mut Database`. Readers hold the
//! slot's read lock only while they begin a transaction (a redb transaction keeps what it needs
//! on its own), so the writer can take the slot between two reads.

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Duration;

use redb::{Database, DatabaseError, ReadTransaction, ReadableDatabase, WriteTransaction};

/// How long closing and reopening the file, or the integrity check, waits for read
/// transactions still open on the old handle.
const WAIT_FOR_READERS: Duration = Duration::from_secs(2);
const RETRY_EVERY: Duration = Duration::from_millis(20);

pub(crate) struct DbSlot {
    path: PathBuf,
    /// `None` only while the writer is reopening the file, or after reopening failed (the
    /// writer tries again with its next request).
    db: RwLock<Option<Database>>,
}

/// What redb's own integrity check found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "result", content = "detail", rename_all = "snake_case")]
#[non_exhaustive]
pub enum IntegrityCheck {
    /// Every page's checksum and the allocator state are as they should be.
    Passed,
    /// redb found the file inconsistent and repaired it: it rebuilt its allocator state, or went
    /// back to the last commit whose pages verify (the events of a damaged last commit are gone).
    Repaired,
    /// The file is damaged beyond what redb can repair.
    Failed(String),
    /// The check did not run (a read-only store, or one too busy to take alone).
    Skipped(String),
}

impl DbSlot {
    pub(crate) fn new(path: PathBuf, db: Database) -> Self {
        Self { path, db: RwLock::new(Some(db)) }
    }

    fn unavailable() -> String {
        "the store file is being reopened after a storage failure; try again".into()
    }

    pub(crate) fn begin_read(&self) -> Result<ReadTransaction, String> {
        let guard = self.db.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().ok_or_else(Self::unavailable)?.begin_read().map_err(|e| e.to_string())
    }

    pub(crate) fn begin_write(&self) -> Result<WriteTransaction, String> {
        let guard = self.db.read().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().ok_or_else(Self::unavailable)?.begin_write().map_err(|e| e.to_string())
    }

    /// Closes the file and opens it again, which clears a latched I/O failure and lets redb
    /// recover the file to its last durable commit. Waits a little for read transactions still
    /// holding the old handle's file.
    pub(crate) fn reopen(&self) -> Result<(), String> {
        let mut slot = self.db.write().unwrap_or_else(|e| e.into_inner());
        drop(slot.take());
        let deadline = std::time::Instant::now() + WAIT_FOR_READERS;
        loop {
            match Database::create(&self.path) {
                Ok(db) => {
                    *slot = Some(db);
                    return Ok(());
                }
                Err(DatabaseError::DatabaseAlreadyOpen) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(RETRY_EVERY);
                }
                Err(e) => return Err(format!("cannot reopen {}: {e}", self.path.display())),
            }
        }
    }

    /// Runs redb's integrity check (every page against its checksum, the allocator state
    /// against the trees), which needs the handle alone: it waits a little for open read
    /// transactions to end. A repair only rebuilds redb's allocator state.
    pub(crate) fn check_integrity(&self) -> IntegrityCheck {
        let deadline = std::time::Instant::now() + WAIT_FOR_READERS;
        loop {
            let mut slot = self.db.write().unwrap_or_else(|e| e.into_inner());
            let Some(db) = slot.as_mut() else {
                return IntegrityCheck::Skipped(Self::unavailable());
            };
            let checked = match crate::guard::catch(|| db.check_integrity()) {
                Ok(checked) => checked,
                Err(reason) => return IntegrityCheck::Failed(reason),
            };
            match checked {
                Ok(true) => return IntegrityCheck::Passed,
                Ok(false) => return IntegrityCheck::Repaired,
                Err(DatabaseError::TransactionInProgress) if std::time::Instant::now() < deadline => {
                    drop(slot);
                    std::thread::sleep(RETRY_EVERY);
                }
                Err(DatabaseError::TransactionInProgress) => {
                    return IntegrityCheck::Skipped("the store stayed busy with reads".into())
                }
                Err(e) => return IntegrityCheck::Failed(e.to_string()),
            }
        }
    }
}

/// Creates the store file, empty, readable and writable by its owner only: it holds everything
/// said in every thread. redb initializes an empty file as a new database. Does nothing if the
/// file exists.
pub(crate) fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes the group and other permission bits from an existing store file (one copied into
/// place, or created by an older build under a lax umask).
pub(crate) fn tighten(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
