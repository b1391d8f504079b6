//! How one event is stored: a record of
//!
//! ```text
//! [1 byte record kind = 1 (MessagePack)][4 bytes schema version, little-endian][MessagePack map]
//! ```
//!
//! The MessagePack body is the `EventEnvelope` with named fields (`rmp_serde::to_vec_named`), so a
//! field added later with a serde default still decodes from older records. The schema version
//! sits outside the body so that a reader knows before decoding whether the record needs
//! upcasting (older) or cannot be read by this build (newer). MessagePack was chosen over JSON
//! by measurement: about two thirds of the bytes (ids and hashes are raw bytes, not text) and
//! faster to decode; see `docs/storage.md`.

use coder_domain::{EventEnvelope, SCHEMA_VERSION};

use crate::upcast::Upcasters;

/// Record kind byte of a MessagePack record.
const RECORD_MSGPACK: u8 = 1;
const HEADER_LEN: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("record is too short")]
    Truncated,
    #[error("unknown record kind {0}")]
    UnknownKind(u8),
    #[error("event schema version {found} is newer than this version of Coder reads ({supported})")]
    NewerSchema { found: u32, supported: u32 },
    #[error("cannot upcast schema version {0}")]
    NoUpcaster(u32),
    #[error("malformed event: {0}")]
    Malformed(String),
}

/// Encodes an envelope for the `EVENTS` table. Only fails for a value serde cannot encode.
pub fn encode(envelope: &EventEnvelope) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(256);
    out.push(RECORD_MSGPACK);
    out.extend_from_slice(&envelope.schema_version.to_le_bytes());
    rmp_serde::encode::write_named(&mut out, envelope).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The schema version a record was written with.
pub fn schema_version(record: &[u8]) -> Result<u32, DecodeError> {
    if record.len() < HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    if record[0] != RECORD_MSGPACK {
        return Err(DecodeError::UnknownKind(record[0]));
    }
    Ok(u32::from_le_bytes([record[1], record[2], record[3], record[4]]))
}

/// Decodes a record written by this or an older schema version, upcasting as needed.
pub fn decode(record: &[u8]) -> Result<EventEnvelope, DecodeError> {
    decode_with(record, &Upcasters::current(), SCHEMA_VERSION)
}

/// `decode` against an explicit upcaster chain and target version (for tests of the chain).
pub fn decode_with(record: &[u8], upcasters: &Upcasters, target: u32) -> Result<EventEnvelope, DecodeError> {
    let version = schema_version(record)?;
    let body = &record[HEADER_LEN..];
    if version > target {
        return Err(DecodeError::NewerSchema { found: version, supported: target });
    }
    if version == target {
        return rmp_serde::from_slice(body).map_err(|e| DecodeError::Malformed(e.to_string()));
    }
    let value =
        rmpv::decode::read_value(&mut &body[..]).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    let value = upcasters.upcast(version, target, value)?;
    // Decode the upcast tree with the same deserializer as a current record: `rmpv`'s own
    // deserializer does not read every shape `rmp_serde` writes (an adjacently tagged enum's
    // variant name, such as `StreamId`'s `kind`, is refused).
    let mut upcast = Vec::with_capacity(body.len() + 16);
    rmpv::encode::write_value(&mut upcast, &value).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    rmp_serde::from_slice(&upcast).map_err(|e| DecodeError::Malformed(e.to_string()))
}
