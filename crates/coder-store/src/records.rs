//! Reading event records with their checks. Every read of an event goes through `EventRecords`,
//! so that a record whose bytes no longer match its checksum is reported as damage, naming its
//! sequence, and never decoded into an event.

use coder_domain::EventEnvelope;
use redb::{ReadOnlyTable, ReadTransaction};

use crate::checksum;
use crate::codec;
use crate::error::ReadError;
use crate::tables::{EVENTS, EVENT_CHECKSUMS};

/// Whether the events of a store carry checksums: every event of a format 2 store does; a
/// format 1 store that could not be upgraded (it was opened read-only) has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Checksums {
    Required,
    Absent,
}

pub(crate) struct EventRecords {
    events: ReadOnlyTable<u64, &'static [u8]>,
    sums: Option<ReadOnlyTable<u64, u64>>,
}

impl EventRecords {
    pub(crate) fn open(txn: &ReadTransaction, checksums: Checksums) -> Result<Self, ReadError> {
        let events = txn.open_table(EVENTS).map_err(ReadError::storage)?;
        let sums = match checksums {
            // A missing table in a format 2 store is damage too: it is created with the store.
            Checksums::Required => Some(txn.open_table(EVENT_CHECKSUMS).map_err(ReadError::storage)?),
            Checksums::Absent => None,
        };
        Ok(Self { events, sums })
    }

    pub(crate) fn events(&self) -> &ReadOnlyTable<u64, &'static [u8]> {
        &self.events
    }

    /// Checks a record read at `sequence` against its checksum; `Ok(false)` when the store has
    /// no checksums (a format 1 store opened read-only).
    pub(crate) fn check(&self, sequence: u64, record: &[u8]) -> Result<bool, ReadError> {
        let Some(sums) = &self.sums else { return Ok(false) };
        match sums.get(sequence).map_err(ReadError::storage)? {
            Some(sum) if sum.value() == checksum::event(sequence, record) => Ok(true),
            Some(_) => Err(ReadError::Damaged { sequence }),
            None => Err(ReadError::ChecksumMissing { sequence }),
        }
    }

    /// Checks and decodes the record stored at `sequence`.
    pub(crate) fn decode(&self, sequence: u64, record: &[u8]) -> Result<EventEnvelope, ReadError> {
        self.check(sequence, record)?;
        let envelope = codec::decode(record).map_err(|source| ReadError::Decode { sequence, source })?;
        // Redundant where a checksum covered the key; the only guard where none exists.
        if envelope.sequence != sequence {
            return Err(ReadError::Damaged { sequence });
        }
        Ok(envelope)
    }

    /// The event at `sequence`, if stored.
    pub(crate) fn get(&self, sequence: u64) -> Result<Option<EventEnvelope>, ReadError> {
        match self.events.get(sequence).map_err(ReadError::storage)? {
            Some(record) => self.decode(sequence, record.value()).map(Some),
            None => Ok(None),
        }
    }
}
