//! `Snapshot`: a projection as it was after a given sequence, to restore from instead of
//! replaying the whole log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::chat_view::ChatView;
use super::{EventProjection, Projection};
use crate::envelope::EventEnvelope;
use crate::events::DomainEvent;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Snapshot<P = ChatView> {
    /// Last event sequence included.
    pub sequence: u64,
    pub timestamp: DateTime<Utc>,
    pub projection: P,
}

impl<P: EventProjection> Snapshot<P> {
    /// The projection with `events` (those after the snapshot) applied.
    pub fn restore(snapshot: Snapshot<P>, events: &[DomainEvent]) -> P {
        let mut view = snapshot.projection;
        for event in events {
            view.apply_event(event);
        }
        view
    }
}

impl<P: Projection> Snapshot<P> {
    /// Takes a snapshot of `projection` as of `sequence`.
    pub fn take(projection: P, sequence: u64, timestamp: DateTime<Utc>) -> Self {
        Self { sequence, timestamp, projection }
    }

    /// The projection with the envelopes after the snapshot applied; envelopes the snapshot
    /// already includes are skipped, so passing a longer tail is harmless.
    pub fn restore_envelopes<'a>(
        snapshot: Snapshot<P>,
        envelopes: impl IntoIterator<Item = &'a EventEnvelope>,
    ) -> P {
        let mut view = snapshot.projection;
        for envelope in envelopes.into_iter().filter(|e| e.sequence > snapshot.sequence) {
            view.apply_envelope(envelope);
        }
        view
    }
}
