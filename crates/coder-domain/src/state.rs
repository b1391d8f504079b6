//! `DomainState`: the entities as the log has built them, which `decide` checks commands against.
//!
//! `apply` folds one event in. It trusts the log: events were validated by `decide` before they
//! were stored, so `apply` holds no business rules and never fails. An event that does not fit
//! (an unknown id, an impossible transition, as can happen only with a damaged or hand-made log)
//! is ignored rather than allowed to panic.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::entities::{File, Message, Project, Run, StepRun, Thread, ToolUse};
use crate::envelope::StreamId;
use crate::events::DomainEvent;
use crate::ids::{FileId, MessageId, ProjectId, RunId, ThreadId, ToolUseId};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct DomainState {
    pub threads: HashMap<ThreadId, Thread>,
    pub messages: HashMap<MessageId, Message>,
    pub tool_uses: HashMap<ToolUseId, ToolUse>,
    pub runs: HashMap<RunId, Run>,
    pub projects: HashMap<ProjectId, Project>,
    pub files: HashMap<FileId, File>,
}

impl DomainState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the state from a sequence of events.
    pub fn replay<'a>(events: impl IntoIterator<Item = &'a DomainEvent>) -> Self {
        let mut state = Self::new();
        for event in events {
            state.apply(event);
        }
        state
    }

    /// The stream an event is appended to. Tool-use events without a run id resolve through the
    /// tool use; `None` when it is unknown.
    pub fn stream_of(&self, event: &DomainEvent) -> Option<StreamId> {
        use DomainEvent as E;
        match event {
            E::ThreadCreated { thread_id, .. }
            | E::ThreadUpdated { thread_id, .. }
            | E::MessageAdded { thread_id, .. }
            | E::MessageStreaming { thread_id, .. }
            | E::MessageComplete { thread_id, .. }
            | E::MessageDeleted { thread_id, .. }
            | E::MessageAttached { thread_id, .. }
            | E::ThreadCompacted { thread_id, .. } => Some(StreamId::Thread(*thread_id)),
            E::ToolUseStarted { run_id, .. }
            | E::RunStarted { run_id, .. }
            | E::RunStepStarted { run_id, .. }
            | E::RunStepUpdated { run_id, .. }
            | E::RunStepComplete { run_id, .. }
            | E::RunArtifactAdded { run_id, .. }
            | E::RunFinished { run_id, .. } => Some(StreamId::Run(*run_id)),
            E::ToolUseProgress { tool_use_id, .. }
            | E::ToolUseComplete { tool_use_id, .. }
            | E::ToolUseFailed { tool_use_id, .. }
            | E::ToolUseCancelled { tool_use_id, .. } => {
                self.tool_uses.get(tool_use_id).map(|t| StreamId::Run(t.run_id))
            }
            E::ProjectCreated { project_id, .. }
            | E::ProjectUpdated { project_id, .. }
            | E::FileChanged { project_id, .. } => Some(StreamId::Project(*project_id)),
        }
    }

    /// The thread an event belongs to, directly or through its run or tool use.
    pub fn thread_of(&self, event: &DomainEvent) -> Option<ThreadId> {
        if let Some(thread) = event.thread_id() {
            return Some(thread);
        }
        let run_id = match event.run_id() {
            Some(run) => run,
            None => self.tool_uses.get(&event.tool_use_id()?)?.run_id,
        };
        self.runs.get(&run_id).map(|r| r.thread_id)
    }

    /// The file a project knows at `path`.
    pub fn file_at(&self, project_id: ProjectId, path: &str) -> Option<&File> {
        self.files.get(&FileId::for_path(project_id, path))
    }

    /// Folds one event into the state.
    pub fn apply(&mut self, event: &DomainEvent) {
        use DomainEvent as E;
        match event {
            E::ThreadCreated { thread_id, title, timestamp, project_id } => {
                self.threads.entry(*thread_id).or_insert_with(|| Thread {
                    id: *thread_id,
                    project_id: *project_id,
                    title: title.clone(),
                    archived: false,
                    created_at: *timestamp,
                    updated_at: *timestamp,
                    unread: 0,
                    compacted_through: None,
                    compacted_at: None,
                    named: title != crate::entities::DEFAULT_TITLE,
                });
            }
            E::ThreadUpdated { thread_id, title, archived, timestamp, marked_read } => {
                if let Some(thread) = self.threads.get_mut(thread_id) {
                    if let Some(title) = title {
                        title.clone_into(&mut thread.title);
                        thread.named = true;
                    }
                    if let Some(archived) = archived {
                        thread.archived = *archived;
                    }
                    if *marked_read {
                        thread.unread = 0;
                    }
                    thread.updated_at = *timestamp;
                }
            }
            E::MessageAdded { thread_id, message_id, content, role, tool_uses, timestamp } => {
                let streaming = content.is_empty() && *role == crate::values::Role::Assistant;
                let mut message =
                    Message::new(*message_id, *thread_id, content.clone(), *role, streaming, *timestamp);
                message.tool_uses = tool_uses.clone();
                if self.messages.contains_key(message_id) {
                    return;
                }
                self.messages.insert(*message_id, message);
                if let Some(thread) = self.threads.get_mut(thread_id) {
                    thread.updated_at = *timestamp;
                    thread.named = true;
                    if *role != crate::values::Role::User {
                        thread.unread = thread.unread.saturating_add(1);
                    }
                }
            }
            E::MessageStreaming { message_id, content, timestamp, .. } => {
                if let Some(m) = self.messages.get_mut(message_id) {
                    let _ignored_if_complete = m.append_content(content, *timestamp);
                }
            }
            E::MessageComplete { message_id, final_content, timestamp, .. } => {
                if let Some(m) = self.messages.get_mut(message_id) {
                    let _ignored_if_complete = m.complete(final_content, *timestamp);
                }
            }
            E::MessageDeleted { message_id, .. } => {
                self.messages.remove(message_id);
            }
            E::ToolUseStarted { tool_use_id, run_id, message_id, tool_name, input, timestamp } => {
                if self.tool_uses.contains_key(tool_use_id) {
                    return;
                }
                let mut tool = ToolUse::new(
                    *tool_use_id,
                    *run_id,
                    *message_id,
                    tool_name.clone(),
                    input.clone(),
                    *timestamp,
                );
                if !self.tool_waits_for_approval(*run_id, *tool_use_id) {
                    let _always_legal_from_pending = tool.start(*timestamp);
                }
                self.tool_uses.insert(*tool_use_id, tool);
                if let Some(m) = self.messages.get_mut(message_id) {
                    m.tool_uses.push(*tool_use_id);
                }
            }
            E::ToolUseProgress { .. } => {}
            E::ToolUseComplete { tool_use_id, result, duration_ms, timestamp } => {
                if let Some(t) = self.tool_uses.get_mut(tool_use_id) {
                    let _ignored_if_illegal = t.complete(result.clone(), *duration_ms, *timestamp);
                }
            }
            E::ToolUseFailed { tool_use_id, error, timestamp } => {
                if let Some(t) = self.tool_uses.get_mut(tool_use_id) {
                    let _ignored_if_illegal = t.fail(error.clone(), *timestamp);
                }
            }
            E::ToolUseCancelled { tool_use_id, timestamp } => {
                if let Some(t) = self.tool_uses.get_mut(tool_use_id) {
                    let _ignored_if_illegal = t.cancel(*timestamp);
                }
            }
            E::RunStarted { run_id, thread_id, agent_name, timestamp } => {
                self.runs
                    .entry(*run_id)
                    .or_insert_with(|| Run::new(*run_id, *thread_id, agent_name.clone(), *timestamp));
            }
            E::RunStepStarted { run_id, step_id, step_type, description, timestamp } => {
                if let Some(run) = self.runs.get_mut(run_id) {
                    let step = StepRun::new(*step_id, step_type.clone(), description.clone(), *timestamp);
                    let _ignored_if_illegal = run.start_step(step);
                }
            }
            E::RunStepUpdated { run_id, step_id, status, progress, decision, timestamp } => {
                let Some(run) = self.runs.get_mut(run_id) else { return };
                match decision {
                    Some(decision) => {
                        let _ignored_if_illegal = run.decide_step(*step_id, decision.clone());
                        // An approved tool call starts running with its step.
                        if let Some(tool_id) = run.step(*step_id).and_then(StepRun::tool_use_id) {
                            if decision.verdict == crate::values::Verdict::Approved {
                                if let Some(tool) = self.tool_uses.get_mut(&tool_id) {
                                    let _ignored_if_illegal = tool.start(*timestamp);
                                }
                            }
                        }
                    }
                    None => {
                        let _ignored_if_illegal = run.update_step(*step_id, *status, *progress);
                    }
                }
            }
            E::RunStepComplete { run_id, step_id, result, cost, timestamp } => {
                if let Some(run) = self.runs.get_mut(run_id) {
                    let _ignored_if_illegal = run.complete_step(*step_id, result.clone(), *cost, *timestamp);
                }
            }
            E::RunArtifactAdded { .. } => {}
            E::RunFinished { run_id, status, cost, duration_ms, timestamp } => {
                if let Some(run) = self.runs.get_mut(run_id) {
                    let _ignored_if_illegal = run.finish(*status, *cost, *duration_ms, *timestamp);
                }
            }
            E::ProjectCreated { project_id, name, path, timestamp } => {
                self.projects.entry(*project_id).or_insert_with(|| Project {
                    id: *project_id,
                    name: name.clone(),
                    path: path.clone(),
                    tool_approvals: Default::default(),
                    rules: Vec::new(),
                    created_at: *timestamp,
                    updated_at: *timestamp,
                });
            }
            E::ProjectUpdated { project_id, changes, timestamp } => {
                if let Some(p) = self.projects.get_mut(project_id) {
                    p.apply_changes(changes, *timestamp);
                }
            }
            E::FileChanged { project_id, file_id, path, change_type, timestamp, .. } => {
                self.files
                    .entry(*file_id)
                    .or_insert_with(|| File {
                        id: *file_id,
                        project_id: *project_id,
                        path: path.clone(),
                        content: change_type.before(),
                        change_count: 0,
                        updated_at: *timestamp,
                    })
                    .record(change_type, *timestamp);
            }
            // An attachment changes nothing a command is decided against.
            E::MessageAttached { .. } => {}
            E::ThreadCompacted { thread_id, through, timestamp, .. } => {
                let written = self.messages.get(through).map(|m| m.created_at);
                if let Some(thread) = self.threads.get_mut(thread_id) {
                    thread.compacted_through = Some(*through);
                    thread.compacted_at = written.or(thread.compacted_at);
                    thread.updated_at = *timestamp;
                }
            }
        }
    }

    /// True when the run has a step for this tool use that still waits for approval.
    fn tool_waits_for_approval(&self, run_id: RunId, tool_use_id: ToolUseId) -> bool {
        self.runs
            .get(&run_id)
            .and_then(|run| run.step_for_tool(tool_use_id))
            .is_some_and(StepRun::awaiting_approval)
    }

    /// The step of a run that carries this tool use.
    pub fn step_of_tool(&self, tool: &ToolUse) -> Option<&StepRun> {
        self.runs.get(&tool.run_id)?.step_for_tool(tool.id)
    }
}
