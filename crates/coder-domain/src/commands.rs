//! `Command`: what a person or the agent asks for, in the imperative.
//!
//! Commands that create an entity carry its new id, chosen by the caller, so that `decide` is a
//! pure function and a retried command cannot create a twin.

use serde::{Deserialize, Serialize};

use crate::ids::{MessageId, ProjectId, RunId, StepId, ThreadId, ToolUseId};
use crate::values::{
    Approver, ArtifactType, Attachment, CompactionTrigger, Cost, FileChangeType, ProjectChanges, RunStatus,
    StepResult, StepStatus, StepType, ToolOutput,
};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type")]
pub enum Command {
    // ── What a person does ──────────────────────────────────────────────────────────────────
    CreateThread {
        thread_id: ThreadId,
        title: String,
        project_id: Option<ProjectId>,
    },
    RenameThread {
        thread_id: ThreadId,
        title: String,
    },
    ArchiveThread {
        thread_id: ThreadId,
    },
    UnarchiveThread {
        thread_id: ThreadId,
    },
    MarkThreadRead {
        thread_id: ThreadId,
    },
    SendMessage {
        thread_id: ThreadId,
        message_id: MessageId,
        content: String,
        /// Files and images recorded with the message (at most `limits::ATTACHMENTS`).
        #[serde(default)]
        attachments: Vec<Attachment>,
    },
    /// Sends the thread's older part, through `through`, to the model as `summary` from now on.
    CompactThread {
        thread_id: ThreadId,
        through: MessageId,
        summary: String,
        replaced_tokens: u64,
        summary_tokens: u64,
        trigger: CompactionTrigger,
        run_id: Option<RunId>,
    },
    DeleteMessage {
        thread_id: ThreadId,
        message_id: MessageId,
    },
    CreateProject {
        project_id: ProjectId,
        name: String,
        path: String,
    },
    UpdateProject {
        project_id: ProjectId,
        changes: ProjectChanges,
    },
    ApproveStep {
        run_id: RunId,
        step_id: StepId,
        by: Approver,
    },
    RejectStep {
        run_id: RunId,
        step_id: StepId,
        by: Approver,
        reason: Option<String>,
    },
    CancelRun {
        run_id: RunId,
    },
    CancelToolUse {
        tool_use_id: ToolUseId,
    },

    // ── What the agent reports ──────────────────────────────────────────────────────────────
    StartRun {
        run_id: RunId,
        thread_id: ThreadId,
        agent_name: String,
    },
    StartAssistantMessage {
        thread_id: ThreadId,
        message_id: MessageId,
    },
    /// Appends `delta` to a streaming message.
    StreamText {
        thread_id: ThreadId,
        message_id: MessageId,
        delta: String,
    },
    /// Ends a streaming message. When the stream was cut off, the caller marks the event's
    /// envelope with `META_INTERRUPTED`.
    CompleteMessage {
        thread_id: ThreadId,
        message_id: MessageId,
        final_content: String,
    },
    StartToolUse {
        tool_use_id: ToolUseId,
        run_id: RunId,
        message_id: MessageId,
        tool_name: String,
        input: serde_json::Value,
    },
    ReportToolProgress {
        tool_use_id: ToolUseId,
        progress: f32,
        status_message: String,
    },
    CompleteToolUse {
        tool_use_id: ToolUseId,
        result: ToolOutput,
        duration_ms: u64,
    },
    FailToolUse {
        tool_use_id: ToolUseId,
        error: String,
    },
    StartStep {
        run_id: RunId,
        step_id: StepId,
        step_type: StepType,
        description: String,
    },
    /// Records a tool call that a permission rule refuses, all in one batch: its step (which
    /// needs approval), its tool use, and the rejection in the rule's name — so the step is
    /// never seen waiting, and no one can approve it in between.
    DenyToolCall {
        run_id: RunId,
        step_id: StepId,
        /// A `ToolCall` that needs approval; it names the tool use and the tool.
        step_type: StepType,
        description: String,
        message_id: MessageId,
        input: serde_json::Value,
        /// The rule, as `Approver::Policy` names it.
        rule: String,
        /// Why, told to the model.
        reason: String,
    },
    UpdateStep {
        run_id: RunId,
        step_id: StepId,
        status: StepStatus,
        progress: Option<f32>,
    },
    CompleteStep {
        run_id: RunId,
        step_id: StepId,
        result: StepResult,
        cost: Option<Cost>,
    },
    AddArtifact {
        run_id: RunId,
        artifact_id: String,
        artifact_type: ArtifactType,
        data: Vec<u8>,
    },
    FinishRun {
        run_id: RunId,
        status: RunStatus,
        cost: Cost,
        duration_ms: u64,
    },
    /// Ends a run that cannot go on, in one decision: the thread's streaming messages complete
    /// with the text so far, every open tool use fails, every open step fails, and the run
    /// finishes `Failed` with the cost its steps reported. The caller marks the envelope with
    /// the reason and `META_INTERRUPTED`.
    FailRun {
        run_id: RunId,
        reason: String,
    },
    /// Ends what may have been executing when Coder stopped, so that it never executes again:
    /// every tool use of the run that is `Running` (approved or pre-approved, so possibly under
    /// way) fails with `reason`, and its step and every open model-call step fail with it. Steps
    /// that wait for approval keep waiting; the run stays open, so a runner can continue it and
    /// the model learns what was interrupted.
    InterruptRun {
        run_id: RunId,
        reason: String,
    },
    RecordFileChange {
        project_id: ProjectId,
        path: String,
        change_type: FileChangeType,
        run_id: Option<RunId>,
    },
}

impl Command {
    /// The command's name, for logs and metadata.
    pub fn name(&self) -> &'static str {
        match self {
            Self::CreateThread { .. } => "CreateThread",
            Self::RenameThread { .. } => "RenameThread",
            Self::ArchiveThread { .. } => "ArchiveThread",
            Self::UnarchiveThread { .. } => "UnarchiveThread",
            Self::MarkThreadRead { .. } => "MarkThreadRead",
            Self::SendMessage { .. } => "SendMessage",
            Self::CompactThread { .. } => "CompactThread",
            Self::DeleteMessage { .. } => "DeleteMessage",
            Self::CreateProject { .. } => "CreateProject",
            Self::UpdateProject { .. } => "UpdateProject",
            Self::ApproveStep { .. } => "ApproveStep",
            Self::RejectStep { .. } => "RejectStep",
            Self::CancelRun { .. } => "CancelRun",
            Self::CancelToolUse { .. } => "CancelToolUse",
            Self::StartRun { .. } => "StartRun",
            Self::StartAssistantMessage { .. } => "StartAssistantMessage",
            Self::StreamText { .. } => "StreamText",
            Self::CompleteMessage { .. } => "CompleteMessage",
            Self::StartToolUse { .. } => "StartToolUse",
            Self::ReportToolProgress { .. } => "ReportToolProgress",
            Self::CompleteToolUse { .. } => "CompleteToolUse",
            Self::FailToolUse { .. } => "FailToolUse",
            Self::StartStep { .. } => "StartStep",
            Self::DenyToolCall { .. } => "DenyToolCall",
            Self::UpdateStep { .. } => "UpdateStep",
            Self::CompleteStep { .. } => "CompleteStep",
            Self::AddArtifact { .. } => "AddArtifact",
            Self::FinishRun { .. } => "FinishRun",
            Self::FailRun { .. } => "FailRun",
            Self::InterruptRun { .. } => "InterruptRun",
            Self::RecordFileChange { .. } => "RecordFileChange",
        }
    }
}
