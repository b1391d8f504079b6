//! What Coder's store file is made of: the bytes of the pages each table occupies, read with
//! redb directly on the closed file (read-only). The rest of the file is space redb has not
//! handed to any table: freed copy-on-write pages and room it grew the file by ahead of need.

use std::path::Path;

use coder_store::tables::{BLOBS, CORRELATIONS, EVENTS, EVENT_IDS, META, SNAPSHOTS, STREAMS};
use redb::{ReadOnlyTable, ReadableDatabase, ReadableTableMetadata, TableDefinition};

use crate::error::BenchError;

/// Bytes of the pages the store's tables occupy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TableBytes {
    /// The `events` table: the records and their B-tree.
    pub events: u64,
    /// The stream, correlation and event-id indexes.
    pub indexes: u64,
    /// Snapshots, blobs and meta.
    pub other: u64,
}

impl TableBytes {
    pub fn total(&self) -> u64 {
        self.events + self.indexes + self.other
    }
}

pub(crate) fn table_bytes(path: &Path) -> Result<TableBytes, BenchError> {
    let fail = |e: &dyn std::fmt::Display| BenchError::Inspect(format!("{}: {e}", path.display()));
    let db = redb::ReadOnlyDatabase::open(path).map_err(|e| fail(&e))?;
    let txn = db.begin_read().map_err(|e| fail(&e))?;
    let bytes = |table: Result<Box<dyn ReadableTableMetadata>, redb::TableError>| -> Result<u64, BenchError> {
        match table {
            Ok(table) => {
                let stats = table.stats().map_err(|e| fail(&e))?;
                Ok(stats.stored_bytes() + stats.metadata_bytes() + stats.fragmented_bytes())
            }
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(fail(&e)),
        }
    };
    fn open<K: redb::Key + 'static, V: redb::Value + 'static>(
        txn: &redb::ReadTransaction,
        table: TableDefinition<'_, K, V>,
    ) -> Result<Box<dyn ReadableTableMetadata>, redb::TableError> {
        txn.open_table(table).map(|t: ReadOnlyTable<K, V>| Box::new(t) as Box<dyn ReadableTableMetadata>)
    }
    Ok(TableBytes {
        events: bytes(open(&txn, EVENTS))?,
        indexes: bytes(open(&txn, STREAMS))?
            + bytes(open(&txn, CORRELATIONS))?
            + bytes(open(&txn, EVENT_IDS))?,
        other: bytes(open(&txn, SNAPSHOTS))? + bytes(open(&txn, BLOBS))? + bytes(open(&txn, META))?,
    })
}
