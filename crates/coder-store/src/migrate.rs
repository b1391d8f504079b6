//! Bringing a store to this build's format, once, by its first writable open.
//!
//! Format 1 → 2 adds checksums. The upgrade writes, in one transaction, a checksum for every
//! stored event and snapshot, computed over the record exactly as it is stored, creates the two
//! checksum tables, and stamps `format_version` 2. It changes no event, index, snapshot or blob:
//! the log stays byte-for-byte what was written, and only gains the means to notice later damage.
//! Damage that happened before the upgrade cannot be told apart from what was written; it is
//! still found by what always checked it (a record that does not decode, an index that disagrees)
//! in `verify`. The upgrade is one pass over the log, done once; a crash during it leaves the
//! store at format 1 and the next open does it again.
//!
//! A store that could not be upgraded (opened read-only: a newer event schema, a damaged file)
//! is read without checksums, and `verify` counts its events as unchecked.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};

use crate::checksum;
use crate::error::storage;
use crate::file::DbSlot;
use crate::tables::*;

/// The first format in which every event and snapshot carries a checksum.
pub(crate) const FIRST_WITH_CHECKSUMS: u64 = 2;

/// Upgrades the store from `format` (`None`: a new, empty file) to `FORMAT_VERSION`. A store
/// already at it is not written to.
pub(crate) fn to_current(slot: &DbSlot, format: Option<u64>) -> Result<(), String> {
    if format == Some(FORMAT_VERSION) {
        return Ok(());
    }
    let txn = slot.begin_write()?;
    create_tables(&txn)?;
    let events = txn.open_table(EVENTS).map_err(storage)?.len().map_err(storage)?;
    match format {
        None if events == 0 => {}
        None => return Err("its format version is missing from a store that holds events".into()),
        Some(FORMAT_V1) => add_checksums(&txn)?,
        Some(other) => return Err(format!("it names an unknown store format {other}")),
    }
    txn.open_table(META).map_err(storage)?.insert(META_FORMAT_VERSION, FORMAT_VERSION).map_err(storage)?;
    txn.commit().map_err(storage)
}

/// Opens (and so creates) every table of the current format.
fn create_tables(txn: &WriteTransaction) -> Result<(), String> {
    txn.open_table(EVENTS).map_err(storage)?;
    txn.open_table(EVENT_CHECKSUMS).map_err(storage)?;
    txn.open_table(STREAMS).map_err(storage)?;
    txn.open_table(CORRELATIONS).map_err(storage)?;
    txn.open_table(EVENT_IDS).map_err(storage)?;
    txn.open_table(SNAPSHOTS).map_err(storage)?;
    txn.open_table(SNAPSHOT_CHECKSUMS).map_err(storage)?;
    txn.open_table(BLOBS).map_err(storage)?;
    txn.open_table(META).map_err(storage)?;
    Ok(())
}

/// Format 1 → 2: a checksum for every event and snapshot as stored.
fn add_checksums(txn: &WriteTransaction) -> Result<(), String> {
    let events = txn.open_table(EVENTS).map_err(storage)?;
    let mut event_sums = txn.open_table(EVENT_CHECKSUMS).map_err(storage)?;
    for entry in events.range::<u64>(..).map_err(storage)? {
        let (seq, record) = entry.map_err(storage)?;
        event_sums.insert(seq.value(), checksum::event(seq.value(), record.value())).map_err(storage)?;
    }
    let snapshots = txn.open_table(SNAPSHOTS).map_err(storage)?;
    let mut snapshot_sums = txn.open_table(SNAPSHOT_CHECKSUMS).map_err(storage)?;
    for entry in snapshots.range::<(&str, &[u8], u64)>(..).map_err(storage)? {
        let (key, record) = entry.map_err(storage)?;
        let (projection, key, sequence) = key.value();
        let sum = checksum::snapshot(projection, key, sequence, record.value());
        snapshot_sums.insert((projection, key, sequence), sum).map_err(storage)?;
    }
    Ok(())
}
