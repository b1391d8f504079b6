//! Every redb table of the store, and the on-disk format version. `docs/storage.md` describes
//! the format; change neither without the other.

use redb::TableDefinition;

/// The store format this build writes. A store whose `format_version` is higher opens read-only.
///
/// - 1: the first format: events, indexes, snapshots, blobs, meta.
/// - 2: adds `EVENT_CHECKSUMS` and `SNAPSHOT_CHECKSUMS`. In a format 2 store every event and
///   every snapshot has a checksum, checked on every read; a missing one is damage. A format 1
///   store is upgraded once, by its first writable open (`migrate`), which checksums the records
///   as they are and changes nothing else. An older build opens a format 2 store read-only, since
///   it would append events without checksums.
pub const FORMAT_VERSION: u64 = 2;

/// The first store format, which has no checksums.
pub const FORMAT_V1: u64 = 1;

/// Global sequence → encoded event record (see `codec`). Keys are 1, 2, 3, … with no gap.
pub const EVENTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("events");

/// (stream key, stream version) → global sequence. The stream key is `StreamId::to_key`.
pub const STREAMS: TableDefinition<'static, ([u8; 17], u64), u64> = TableDefinition::new("stream_index");

/// Global sequence → checksum of that event's record (see `checksum::event`). Format 2 on:
/// exactly one entry per key of `EVENTS`, written in the same transaction as the event.
pub const EVENT_CHECKSUMS: TableDefinition<'static, u64, u64> = TableDefinition::new("event_checksums");

/// (correlation id, global sequence) → nothing: the events of one correlation, in order.
pub const CORRELATIONS: TableDefinition<'static, (u128, u64), ()> = TableDefinition::new("correlation_index");

/// Event id → global sequence: makes appends idempotent and resolves `causation_id`.
pub const EVENT_IDS: TableDefinition<'static, u128, u64> = TableDefinition::new("event_ids");

/// (projection name, projection key, sequence) → snapshot record (see `snapshots`).
pub const SNAPSHOTS: TableDefinition<'static, (&'static str, &'static [u8], u64), &'static [u8]> =
    TableDefinition::new("snapshots");

/// Same key as `SNAPSHOTS` → checksum of the snapshot record (see `checksum::snapshot`).
/// Format 2 on: exactly one entry per snapshot, written and deleted with it.
pub const SNAPSHOT_CHECKSUMS: TableDefinition<'static, (&'static str, &'static [u8], u64), u64> =
    TableDefinition::new("snapshot_checksums");

/// BLAKE3 hash → content. Written once per distinct content; the key is the content's own
/// checksum, so a blob is checked against its key on every read.
pub const BLOBS: TableDefinition<'static, [u8; 32], &'static [u8]> = TableDefinition::new("blobs");

/// Store-wide facts, by name (`META_*`).
pub const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");

/// `META` key: the format version the store was created with or last upgraded to.
pub const META_FORMAT_VERSION: &str = "format_version";
/// `META` key: the last sequence an import brought in (written in the import's transaction).
/// Every event up to it came from another log; the engine ends the runs that were open in it.
pub const META_IMPORTED_THROUGH: &str = "imported_through";
/// `META` key: the highest event schema version written to the store.
pub const META_MAX_SCHEMA: &str = "max_schema_version";
