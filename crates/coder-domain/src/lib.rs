//! # coder-domain
//!
//! Coder's domain model, pure: no I/O, no async, no storage. Everything that happens in Coder is a
//! [`DomainEvent`] in an [`EventEnvelope`]; everything a person sees is a projection of those
//! events.
//!
//! - [`ids`]: the seven typed ids.
//! - [`events`], [`values`], [`envelope`]: what is stored, and where it sits in the log.
//! - [`entities`]: `Message`, `ToolUse`, `Run`, … with checked lifecycles.
//! - [`state`], [`commands`], [`decide()`]: the write model — a command decided against the
//!   state becomes events, or a typed [`DomainError`] and no events.
//! - [`projections`]: read models (`ChatView`, `ThreadList`, `RunView`, `ProjectFiles`,
//!   `CorrelationView`) and `Snapshot`.

pub mod bytes;
pub mod commands;
pub mod decide;
pub mod entities;
pub mod envelope;
pub mod error;
pub mod events;
pub mod ids;
pub mod projections;
pub mod state;
pub mod values;

pub use commands::Command;
pub use decide::{decide, limits};
pub use entities::{
    title_from, File, Message, Project, Run, StepRun, Thread, ToolUse, TransitionError, DEFAULT_TITLE,
};
pub use envelope::{
    chain, EventEnvelope, NewEvent, StreamId, META_INTERRUPTED, META_REASON, META_TURN_LIMIT, SCHEMA_VERSION,
};
pub use error::{DomainError, EntityKind};
pub use events::{DomainEvent, EVENT_TYPES};
pub use ids::{FileId, MessageId, ProjectId, RunId, StepId, ThreadId, ToolUseId};
pub use projections::{
    summarize_json, summarize_output, truncate, ArtifactInfo, AttachmentView, ChatChange, ChatEntry,
    ChatView, CompactionView, CorrelationView, EventProjection, FileChangeRecord, MessageView, ProjectFiles,
    Projection, RunView, Snapshot, ThreadFilter, ThreadList, ThreadSummary, ToolUseView,
};
pub use projections::{Plan, PlanError, PlanItem, PlanStatus, UPDATE_PLAN};
pub use state::DomainState;
pub use values::{
    ApprovalDecision, ApprovalGate, Approver, ArtifactType, Attachment, CompactionTrigger, ContentHash, Cost,
    FileChangeType, PermissionRule, ProjectChanges, Role, RuleEffect, RunStatus, StepResult, StepStatus,
    StepType, ToolApproval, ToolOutput, ToolStatus, Verdict, IMAGE_TYPES,
};

// The seed's examples build `tool_uses` with `SmallVec::new()` and timestamps with `Utc::now()`
// after `use coder_domain::*;`.
pub use chrono::{DateTime, Utc};
pub use smallvec::SmallVec;
