//! Snapshot records: a projection serialized as of a sequence, tagged with its code version.
//!
//! Record layout: `[8 bytes sequence LE][4 bytes projection version LE][projection bytes]`; from
//! store format 2 on, each record has a checksum in `SNAPSHOT_CHECKSUMS` under the same key. The
//! latest `KEEP` snapshots of each (projection, key) are kept: restoring uses the newest, time
//! travel the newest at or before the wanted sequence.

use redb::{ReadableTable, Table};

use crate::checksum;

/// Snapshots kept per (projection, key): the `KEEP` with the highest sequences; the others are
/// deleted whenever one is written.
pub const KEEP: usize = 3;

/// A snapshot to write.
#[derive(Debug, Clone)]
pub struct SnapshotWrite {
    pub projection: String,
    pub key: Vec<u8>,
    pub sequence: u64,
    pub version: u32,
    pub bytes: Vec<u8>,
}

/// A snapshot as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    pub sequence: u64,
    pub version: u32,
    pub bytes: Vec<u8>,
}

pub(crate) fn encode(write: &SnapshotWrite) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + write.bytes.len());
    out.extend_from_slice(&write.sequence.to_le_bytes());
    out.extend_from_slice(&write.version.to_le_bytes());
    out.extend_from_slice(&write.bytes);
    out
}

pub(crate) fn decode(record: &[u8]) -> Option<StoredSnapshot> {
    if record.len() < 12 {
        return None;
    }
    let sequence = u64::from_le_bytes(record[..8].try_into().ok()?);
    let version = u32::from_le_bytes(record[8..12].try_into().ok()?);
    Some(StoredSnapshot { sequence, version, bytes: record[12..].to_vec() })
}

/// Writes a snapshot with its checksum and deletes those of its key beyond `KEEP`, with theirs.
pub(crate) fn stage(
    table: &mut Table<'_, (&'static str, &'static [u8], u64), &'static [u8]>,
    sums: &mut Table<'_, (&'static str, &'static [u8], u64), u64>,
    write: &SnapshotWrite,
) -> Result<(), redb::StorageError> {
    let name = write.projection.as_str();
    let key = write.key.as_slice();
    let record = encode(write);
    table.insert((name, key, write.sequence), record.as_slice())?;
    sums.insert((name, key, write.sequence), checksum::snapshot(name, key, write.sequence, &record))?;
    // All of the key's snapshots, not only those older than this one: a snapshot saved for an
    // earlier sequence (time travel) must not grow the set past `KEEP`.
    let kept: Vec<u64> = table
        .range((name, key, 0)..=(name, key, u64::MAX))?
        .map(|entry| entry.map(|(k, _)| k.value().2))
        .collect::<Result<_, _>>()?;
    let excess = kept.len().saturating_sub(KEEP);
    for sequence in kept.into_iter().take(excess) {
        table.remove((name, key, sequence))?;
        sums.remove((name, key, sequence))?;
    }
    Ok(())
}
