//! Every redb table of the store, and the on-disk format version. `docs/storage.md` describes
//! the format; change neither without the other.

use redb::TableDefinition;

/// The store format this build writes. A store whose `format_version` is higher opens read-only.
pub const FORMAT_VERSION: u64 = 1;

/// Global sequence → encoded event record (see `codec`). Keys are 1, 2, 3, … with no gap.
pub const EVENTS: TableDefinition<'static, u64, &'static [u8]> = TableDefinition::new("events");

/// (stream key, stream version) → global sequence. The stream key is `StreamId::to_key`.
pub const STREAMS: TableDefinition<'static, ([u8; 17], u64), u64> = TableDefinition::new("stream_index");

/// (correlation id, global sequence) → nothing: the events of one correlation, in order.
pub const CORRELATIONS: TableDefinition<'static, (u128, u64), ()> = TableDefinition::new("correlation_index");

/// Event id → global sequence: makes appends idempotent and resolves `causation_id`.
pub const EVENT_IDS: TableDefinition<'static, u128, u64> = TableDefinition::new("event_ids");

/// (projection name, projection key, sequence) → snapshot record (see `snapshots`).
pub const SNAPSHOTS: TableDefinition<'static, (&'static str, &'static [u8], u64), &'static [u8]> =
    TableDefinition::new("snapshots");

/// BLAKE3 hash → content. Written once per distinct content.
pub const BLOBS: TableDefinition<'static, [u8; 32], &'static [u8]> = TableDefinition::new("blobs");

/// Store-wide facts, by name (`META_*`).
pub const META: TableDefinition<'static, &'static str, u64> = TableDefinition::new("meta");

/// `META` key: the format version the store was created with or last upgraded to.
pub const META_FORMAT_VERSION: &str = "format_version";
/// `META` key: the highest event schema version written to the store.
pub const META_MAX_SCHEMA: &str = "max_schema_version";
