//! Projections: read models folded from events, each `apply` O(1) amortized.
//!
//! A projection holds no business rules: it trusts the log and ignores what it cannot place (an
//! event of another thread, an unknown id). Projections serialize so they can be snapshotted;
//! derived indexes are skipped when serializing and rebuilt when deserializing.

mod chat_view;
mod correlation;
mod plan;
mod project_files;
mod run_view;
mod snapshot;
mod summary;
mod thread_list;

pub use chat_view::{
    AttachmentView, ChatChange, ChatEntry, ChatView, CompactionView, MessageView, ToolUseView,
};
pub use correlation::CorrelationView;
pub use plan::{
    Plan, PlanError, PlanItem, PlanStatus, PLAN_ITEMS, PLAN_NOTE_CHARS, PLAN_TITLE_CHARS, UPDATE_PLAN,
};
pub use project_files::{FileChangeRecord, ProjectFiles};
pub use run_view::{ArtifactInfo, RunView};
pub use snapshot::Snapshot;
pub use summary::{summarize_json, summarize_output, truncate};
pub use thread_list::{ThreadFilter, ThreadList, ThreadSummary};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::envelope::EventEnvelope;
use crate::events::DomainEvent;

/// A read model that can be snapshotted and rebuilt from envelopes.
pub trait Projection: Serialize + DeserializeOwned {
    /// Stable name, the first part of the projection's snapshot key.
    const NAME: &'static str;
    /// Code version of `apply` and of the serialized shape. Raise it whenever either changes: a
    /// snapshot with another version is discarded and rebuilt from events.
    const VERSION: u32;

    /// Folds one stored event in.
    fn apply_envelope(&mut self, envelope: &EventEnvelope);
}

/// A projection that needs only the event, not its envelope.
pub trait EventProjection: Projection {
    fn apply_event(&mut self, event: &DomainEvent);
}
