//! `EventEnvelope`: an event with its place in the log.
//!
//! The seed's envelope (`sequence`, `causation_id`, `correlation_id`, `metadata`) completed with
//! the event's own id (what a `causation_id` points at), the stream the event belongs to with its
//! version in that stream (for optimistic concurrency), and the schema version it was written
//! with (for upcasting). Sequence and stream version are assigned by the store when it appends;
//! before that an event travels as a `NewEvent`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::events::DomainEvent;
use crate::ids::{ProjectId, RunId, ThreadId};

/// Metadata key marking a `MessageComplete` whose stream was cut off (the app stopped, the
/// provider failed): its `final_content` is the text received until then.
pub const META_INTERRUPTED: &str = "interrupted";

/// Metadata key of a run's ending event: why it ended, in words, when it did not simply finish.
pub const META_REASON: &str = "reason";

/// Metadata key marking a `RunFinished` of a run stopped at its turn limit while the model was
/// still working: "Continue" starts a run in the same thread that goes on from there.
pub const META_TURN_LIMIT: &str = "turn_limit";

/// The schema version this build writes. Raise it only together with an upcaster that lifts
/// every older version to it.
pub const SCHEMA_VERSION: u32 = 2;

/// The consistency boundary an event belongs to. Appends to one stream are ordered and checked
/// against the expected version; different streams never conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id")]
pub enum StreamId {
    /// The thread and its messages.
    Thread(ThreadId),
    /// A run: its steps, tool uses and artifacts.
    Run(RunId),
    /// A project: its settings and file changes.
    Project(ProjectId),
}

impl StreamId {
    /// A fixed-size binary key: one kind byte, then the 16 bytes of the id. Keys of one kind sort
    /// together and, with v7 ids, in creation order.
    pub fn to_key(&self) -> [u8; 17] {
        let (kind, uuid) = match self {
            Self::Thread(id) => (1u8, id.as_uuid()),
            Self::Run(id) => (2, id.as_uuid()),
            Self::Project(id) => (3, id.as_uuid()),
        };
        let mut key = [0u8; 17];
        key[0] = kind;
        key[1..].copy_from_slice(uuid.as_bytes());
        key
    }

    /// Inverse of `to_key`; `None` for an unknown kind byte.
    pub fn from_key(key: &[u8; 17]) -> Option<Self> {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&key[1..]);
        let uuid = Uuid::from_bytes(bytes);
        match key[0] {
            1 => Some(Self::Thread(ThreadId::from_uuid(uuid))),
            2 => Some(Self::Run(RunId::from_uuid(uuid))),
            3 => Some(Self::Project(ProjectId::from_uuid(uuid))),
            _ => None,
        }
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Thread(id) => write!(f, "thread:{id}"),
            Self::Run(id) => write!(f, "run:{id}"),
            Self::Project(id) => write!(f, "project:{id}"),
        }
    }
}

/// An event that has a place in the log.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EventEnvelope {
    /// Position in the global log: 1, 2, 3, … with no gap.
    pub sequence: u64,
    /// This event's own id; idempotency key of the append, target of `causation_id`.
    pub event_id: Uuid,
    /// The stream this event belongs to.
    pub stream: StreamId,
    /// Position in `stream`: 1 for its first event.
    pub stream_version: u64,
    /// The schema version the event was written with (after upcasting: `SCHEMA_VERSION`).
    pub schema_version: u32,
    /// The actual event.
    pub event: DomainEvent,
    /// The event that caused this one.
    pub causation_id: Option<Uuid>,
    /// Groups the events of one action or run.
    pub correlation_id: Uuid,
    /// Free-form context (`actor`, `source`, …). A `BTreeMap`, unlike the seed's `HashMap`, so an
    /// export is byte-for-byte repeatable. Never holds secrets.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl EventEnvelope {
    /// True when the event is marked with `META_INTERRUPTED`.
    pub fn is_interrupted(&self) -> bool {
        self.metadata.get(META_INTERRUPTED).is_some_and(|v| v == "true")
    }

    /// A new event caused by this one: same correlation, causation pointing here.
    pub fn cause(&self, event: DomainEvent) -> NewEvent {
        NewEvent::new(event).caused_by(self.event_id, self.correlation_id)
    }
}

/// An event on its way to the store, before it has a sequence and a stream version.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub event: DomainEvent,
    pub causation_id: Option<Uuid>,
    pub correlation_id: Uuid,
    pub metadata: BTreeMap<String, String>,
}

impl NewEvent {
    /// An event that starts a correlation of its own: its correlation id is its event id.
    pub fn new(event: DomainEvent) -> Self {
        let event_id = Uuid::now_v7();
        Self { event_id, event, causation_id: None, correlation_id: event_id, metadata: BTreeMap::new() }
    }

    /// Places the event in an existing correlation (a run, a person's action).
    pub fn correlated(mut self, correlation_id: Uuid) -> Self {
        self.correlation_id = correlation_id;
        self
    }

    /// Marks the event as caused by `causation_id`, inheriting `correlation_id`.
    pub fn caused_by(mut self, causation_id: Uuid, correlation_id: Uuid) -> Self {
        self.causation_id = Some(causation_id);
        self.correlation_id = correlation_id;
        self
    }

    /// Marks a `MessageComplete` as cut off.
    pub fn interrupted(self) -> Self {
        self.with_metadata(META_INTERRUPTED, "true")
    }

    /// Adds one metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// The envelope this event becomes at `sequence`, version `stream_version` of `stream`.
    pub fn into_envelope(self, sequence: u64, stream: StreamId, stream_version: u64) -> EventEnvelope {
        EventEnvelope {
            sequence,
            event_id: self.event_id,
            stream,
            stream_version,
            schema_version: SCHEMA_VERSION,
            event: self.event,
            causation_id: self.causation_id,
            correlation_id: self.correlation_id,
            metadata: self.metadata,
        }
    }
}

/// Builds the events of one decision as a causal chain: the first is caused by `cause` (or
/// starts the correlation), and each later one is caused by the one before it.
pub fn chain(
    events: impl IntoIterator<Item = DomainEvent>,
    correlation_id: Uuid,
    cause: Option<Uuid>,
) -> Vec<NewEvent> {
    let mut previous = cause;
    events
        .into_iter()
        .map(|event| {
            let new = NewEvent::new(event).correlated(correlation_id);
            let new = match previous {
                Some(cause) => new.caused_by(cause, correlation_id),
                None => new,
            };
            previous = Some(new.event_id);
            new
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn created() -> DomainEvent {
        DomainEvent::ThreadCreated {
            thread_id: ThreadId::new(),
            title: "t".into(),
            timestamp: Utc::now(),
            project_id: None,
        }
    }

    #[test]
    fn caused_event_inherits_correlation_and_points_at_cause() {
        let first = NewEvent::new(created()).into_envelope(1, StreamId::Thread(ThreadId::new()), 1);
        assert_eq!(first.correlation_id, first.event_id, "a root event starts its correlation");
        let next = first.cause(created());
        assert_eq!(next.correlation_id, first.correlation_id);
        assert_eq!(next.causation_id, Some(first.event_id));
        assert_ne!(next.event_id, first.event_id);
    }

    #[test]
    fn chain_links_each_event_to_the_one_before() {
        let correlation = Uuid::now_v7();
        let events = chain([created(), created(), created()], correlation, None);
        assert_eq!(events[0].causation_id, None);
        assert_eq!(events[1].causation_id, Some(events[0].event_id));
        assert_eq!(events[2].causation_id, Some(events[1].event_id));
        assert!(events.iter().all(|e| e.correlation_id == correlation));
    }

    #[test]
    fn stream_keys_round_trip() {
        for s in [
            StreamId::Thread(ThreadId::new()),
            StreamId::Run(RunId::new()),
            StreamId::Project(ProjectId::new()),
        ] {
            assert_eq!(StreamId::from_key(&s.to_key()), Some(s));
        }
        assert_eq!(StreamId::from_key(&[9u8; 17]), None);
    }
}
