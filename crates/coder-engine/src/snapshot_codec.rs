//! Projection snapshots as the engine stores them: MessagePack with named fields, tagged with
//! the projection's `VERSION`. A snapshot of another version is ignored (and later replaced).

use coder_domain::Projection;
use coder_store::{EventStore, SnapshotWrite};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::QueryError;

/// Serializes `value` as the snapshot of projection `P` under `key` at `sequence`.
pub fn write<P: Projection, T: Serialize>(key: &[u8], sequence: u64, value: &T) -> Option<SnapshotWrite> {
    match rmp_serde::to_vec_named(value) {
        Ok(bytes) => Some(SnapshotWrite {
            projection: P::NAME.to_string(),
            key: key.to_vec(),
            sequence,
            version: P::VERSION,
            bytes,
        }),
        Err(e) => {
            tracing::error!(projection = P::NAME, error = %e, "cannot serialize a snapshot; skipping it");
            None
        }
    }
}

/// The newest usable snapshot of `P` under `key` at or before `at`, with its sequence.
pub fn read<P: Projection, T: DeserializeOwned>(
    store: &EventStore,
    key: &[u8],
    at: u64,
) -> Result<Option<(u64, T)>, QueryError> {
    let Some(stored) = store.snapshot(P::NAME, key, at)? else { return Ok(None) };
    if stored.version != P::VERSION {
        tracing::info!(
            projection = P::NAME,
            stored = stored.version,
            current = P::VERSION,
            "ignoring a snapshot of another version"
        );
        return Ok(None);
    }
    match rmp_serde::from_slice(&stored.bytes) {
        Ok(value) => Ok(Some((stored.sequence, value))),
        Err(e) => {
            tracing::warn!(projection = P::NAME, error = %e, "ignoring an unreadable snapshot");
            Ok(None)
        }
    }
}
