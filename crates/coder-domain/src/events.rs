//! `DomainEvent`: every state change Coder records.
//!
//! The first twenty variants and their fields are the seed model's; `MessageAttached` and
//! `ThreadCompacted` came with schema version 2. A few variants carry extra fields
//! that the seed left implicit; each is optional with a serde default, so an event written without
//! it still decodes. The serialized form is explicit and stable: an internally tagged object whose
//! `type` is the variant's name.
//!
//! The seed's own examples build `MessageAdded`, `MessageStreaming` and `MessageComplete` with
//! struct literals, so those three keep exactly the seed's fields. That a completion was cut off
//! is recorded in the envelope's metadata (`envelope::META_INTERRUPTED`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use crate::ids::{FileId, MessageId, ProjectId, RunId, StepId, ThreadId, ToolUseId};
use crate::values::{
    ApprovalDecision, ArtifactType, Attachment, CompactionTrigger, Cost, FileChangeType, ProjectChanges,
    Role, RunStatus, StepResult, StepStatus, StepType, ToolOutput,
};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type")]
pub enum DomainEvent {
    // Thread lifecycle
    ThreadCreated {
        thread_id: ThreadId,
        title: String,
        timestamp: DateTime<Utc>,
        /// The project the thread works on; `None` for a free-standing chat.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        project_id: Option<ProjectId>,
    },

    ThreadUpdated {
        thread_id: ThreadId,
        title: Option<String>,
        archived: Option<bool>,
        timestamp: DateTime<Utc>,
        /// The person has read the thread up to now: its unread count drops to zero.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        marked_read: bool,
    },

    // Message events
    MessageAdded {
        thread_id: ThreadId,
        message_id: MessageId,
        content: String,
        role: Role,
        tool_uses: SmallVec<[ToolUseId; 4]>,
        timestamp: DateTime<Utc>,
    },

    /// Text appended to a streaming message since the previous `MessageStreaming` of it (stored
    /// linearly, not cumulatively: see DESIGN §3.2).
    MessageStreaming {
        thread_id: ThreadId,
        message_id: MessageId,
        content: String,
        timestamp: DateTime<Utc>,
    },

    MessageComplete {
        thread_id: ThreadId,
        message_id: MessageId,
        final_content: String,
        timestamp: DateTime<Utc>,
    },

    MessageDeleted {
        thread_id: ThreadId,
        message_id: MessageId,
        timestamp: DateTime<Utc>,
    },

    // Tool execution
    ToolUseStarted {
        tool_use_id: ToolUseId,
        run_id: RunId,
        message_id: MessageId,
        tool_name: String,
        input: serde_json::Value,
        timestamp: DateTime<Utc>,
    },

    ToolUseProgress {
        tool_use_id: ToolUseId,
        /// 0.0–1.0
        progress: f32,
        status_message: String,
        timestamp: DateTime<Utc>,
    },

    ToolUseComplete {
        tool_use_id: ToolUseId,
        result: ToolOutput,
        duration_ms: u64,
        timestamp: DateTime<Utc>,
    },

    ToolUseFailed {
        tool_use_id: ToolUseId,
        error: String,
        timestamp: DateTime<Utc>,
    },

    ToolUseCancelled {
        tool_use_id: ToolUseId,
        timestamp: DateTime<Utc>,
    },

    // Run lifecycle
    RunStarted {
        run_id: RunId,
        thread_id: ThreadId,
        agent_name: String,
        timestamp: DateTime<Utc>,
    },

    RunStepStarted {
        run_id: RunId,
        step_id: StepId,
        step_type: StepType,
        description: String,
        timestamp: DateTime<Utc>,
    },

    RunStepUpdated {
        run_id: RunId,
        step_id: StepId,
        status: StepStatus,
        progress: Option<f32>,
        timestamp: DateTime<Utc>,
        /// Set when this update is the approval or rejection of a step that waited for one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<ApprovalDecision>,
    },

    RunStepComplete {
        run_id: RunId,
        step_id: StepId,
        result: StepResult,
        timestamp: DateTime<Utc>,
        /// What this step cost, for model calls.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cost: Option<Cost>,
    },

    RunArtifactAdded {
        run_id: RunId,
        artifact_id: String,
        artifact_type: ArtifactType,
        #[serde(with = "crate::bytes")]
        data: Vec<u8>,
        timestamp: DateTime<Utc>,
    },

    RunFinished {
        run_id: RunId,
        status: RunStatus,
        cost: Cost,
        duration_ms: u64,
        timestamp: DateTime<Utc>,
    },

    // Project management
    ProjectCreated {
        project_id: ProjectId,
        name: String,
        path: String,
        timestamp: DateTime<Utc>,
    },

    ProjectUpdated {
        project_id: ProjectId,
        changes: ProjectChanges,
        timestamp: DateTime<Utc>,
    },

    FileChanged {
        project_id: ProjectId,
        file_id: FileId,
        /// Relative to the project root, with `/` separators.
        path: String,
        change_type: FileChangeType,
        timestamp: DateTime<Utc>,
        /// The run that was executing when the change happened.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_id: Option<RunId>,
    },

    // Since schema version 2
    /// A file or an image the person attached to their message, recorded in the same append as
    /// the message.
    MessageAttached {
        thread_id: ThreadId,
        message_id: MessageId,
        attachment: Attachment,
        timestamp: DateTime<Utc>,
    },

    /// The older part of a thread, up to and including `through`, is sent to the model as
    /// `summary` from now on. The messages stay in the log, the chat, the timeline and search;
    /// only what later model calls send changes. A later compaction covers a later message and
    /// its summary includes the earlier one's.
    ThreadCompacted {
        thread_id: ThreadId,
        /// The last message the summary stands for; the tool results of the calls it and the
        /// messages before it made are covered with them, so a call and its result never split.
        through: MessageId,
        summary: String,
        /// What the replaced part and the summary count, in the tokens of the counter used.
        replaced_tokens: u64,
        summary_tokens: u64,
        trigger: CompactionTrigger,
        /// The run whose model call wrote the summary, when a run did.
        run_id: Option<RunId>,
        timestamp: DateTime<Utc>,
    },
}

/// The variant names, in declaration order: the values of the `type` tag.
pub const EVENT_TYPES: [&str; 22] = [
    "ThreadCreated",
    "ThreadUpdated",
    "MessageAdded",
    "MessageStreaming",
    "MessageComplete",
    "MessageDeleted",
    "ToolUseStarted",
    "ToolUseProgress",
    "ToolUseComplete",
    "ToolUseFailed",
    "ToolUseCancelled",
    "RunStarted",
    "RunStepStarted",
    "RunStepUpdated",
    "RunStepComplete",
    "RunArtifactAdded",
    "RunFinished",
    "ProjectCreated",
    "ProjectUpdated",
    "FileChanged",
    "MessageAttached",
    "ThreadCompacted",
];

impl DomainEvent {
    /// The variant's name, as written in the `type` tag.
    pub fn type_name(&self) -> &'static str {
        EVENT_TYPES[self.type_index()]
    }

    fn type_index(&self) -> usize {
        match self {
            Self::ThreadCreated { .. } => 0,
            Self::ThreadUpdated { .. } => 1,
            Self::MessageAdded { .. } => 2,
            Self::MessageStreaming { .. } => 3,
            Self::MessageComplete { .. } => 4,
            Self::MessageDeleted { .. } => 5,
            Self::ToolUseStarted { .. } => 6,
            Self::ToolUseProgress { .. } => 7,
            Self::ToolUseComplete { .. } => 8,
            Self::ToolUseFailed { .. } => 9,
            Self::ToolUseCancelled { .. } => 10,
            Self::RunStarted { .. } => 11,
            Self::RunStepStarted { .. } => 12,
            Self::RunStepUpdated { .. } => 13,
            Self::RunStepComplete { .. } => 14,
            Self::RunArtifactAdded { .. } => 15,
            Self::RunFinished { .. } => 16,
            Self::ProjectCreated { .. } => 17,
            Self::ProjectUpdated { .. } => 18,
            Self::FileChanged { .. } => 19,
            Self::MessageAttached { .. } => 20,
            Self::ThreadCompacted { .. } => 21,
        }
    }

    /// When the event happened.
    pub fn timestamp(&self) -> DateTime<Utc> {
        match self {
            Self::ThreadCreated { timestamp, .. }
            | Self::ThreadUpdated { timestamp, .. }
            | Self::MessageAdded { timestamp, .. }
            | Self::MessageStreaming { timestamp, .. }
            | Self::MessageComplete { timestamp, .. }
            | Self::MessageDeleted { timestamp, .. }
            | Self::ToolUseStarted { timestamp, .. }
            | Self::ToolUseProgress { timestamp, .. }
            | Self::ToolUseComplete { timestamp, .. }
            | Self::ToolUseFailed { timestamp, .. }
            | Self::ToolUseCancelled { timestamp, .. }
            | Self::RunStarted { timestamp, .. }
            | Self::RunStepStarted { timestamp, .. }
            | Self::RunStepUpdated { timestamp, .. }
            | Self::RunStepComplete { timestamp, .. }
            | Self::RunArtifactAdded { timestamp, .. }
            | Self::RunFinished { timestamp, .. }
            | Self::ProjectCreated { timestamp, .. }
            | Self::ProjectUpdated { timestamp, .. }
            | Self::FileChanged { timestamp, .. }
            | Self::MessageAttached { timestamp, .. }
            | Self::ThreadCompacted { timestamp, .. } => *timestamp,
        }
    }

    /// The thread this event names directly, if any. Tool-use and run-step events reach their
    /// thread through their run; `DomainState::thread_of` resolves those.
    pub fn thread_id(&self) -> Option<ThreadId> {
        match self {
            Self::ThreadCreated { thread_id, .. }
            | Self::ThreadUpdated { thread_id, .. }
            | Self::MessageAdded { thread_id, .. }
            | Self::MessageStreaming { thread_id, .. }
            | Self::MessageComplete { thread_id, .. }
            | Self::MessageDeleted { thread_id, .. }
            | Self::MessageAttached { thread_id, .. }
            | Self::ThreadCompacted { thread_id, .. }
            | Self::RunStarted { thread_id, .. } => Some(*thread_id),
            _ => None,
        }
    }

    /// The run this event names directly, if any.
    pub fn run_id(&self) -> Option<RunId> {
        match self {
            Self::ToolUseStarted { run_id, .. }
            | Self::RunStarted { run_id, .. }
            | Self::RunStepStarted { run_id, .. }
            | Self::RunStepUpdated { run_id, .. }
            | Self::RunStepComplete { run_id, .. }
            | Self::RunArtifactAdded { run_id, .. }
            | Self::RunFinished { run_id, .. } => Some(*run_id),
            Self::FileChanged { run_id, .. } | Self::ThreadCompacted { run_id, .. } => *run_id,
            _ => None,
        }
    }

    /// The tool use this event is about, if any.
    pub fn tool_use_id(&self) -> Option<ToolUseId> {
        match self {
            Self::ToolUseStarted { tool_use_id, .. }
            | Self::ToolUseProgress { tool_use_id, .. }
            | Self::ToolUseComplete { tool_use_id, .. }
            | Self::ToolUseFailed { tool_use_id, .. }
            | Self::ToolUseCancelled { tool_use_id, .. } => Some(*tool_use_id),
            _ => None,
        }
    }

    /// The project this event names directly, if any.
    pub fn project_id(&self) -> Option<ProjectId> {
        match self {
            Self::ProjectCreated { project_id, .. }
            | Self::ProjectUpdated { project_id, .. }
            | Self::FileChanged { project_id, .. } => Some(*project_id),
            Self::ThreadCreated { project_id, .. } => *project_id,
            _ => None,
        }
    }
}
