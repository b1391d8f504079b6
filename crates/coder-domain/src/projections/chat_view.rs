//! `ChatView`: one thread as the ordered list of entries the chat shows.
//!
//! Entries are messages and tool uses in the order they happened. Each `apply` reports how the
//! list changed (`ChatChange`), which is what a virtualized list needs to splice its rows. The
//! text of the message being streamed accumulates in `streaming_message` (cumulative, as in the
//! seed model) and moves into its entry when the message completes, so a streamed token costs
//! O(token), not O(message).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::summary::{summarize_json, summarize_output, truncate};
use super::{EventProjection, Projection};
use crate::envelope::EventEnvelope;
use crate::events::DomainEvent;
use crate::ids::{MessageId, RunId, StepId, ThreadId, ToolUseId};
use crate::values::{Attachment, CompactionTrigger, ContentHash, Role, StepType, ToolStatus, Verdict};

/// Characters kept of a tool's input for its card.
const INPUT_SUMMARY_CHARS: usize = 100;
/// Characters kept of a tool's output or error for its card.
const OUTPUT_SUMMARY_CHARS: usize = 200;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(from = "ChatViewData")]
pub struct ChatView {
    pub thread_id: ThreadId,
    pub entries: Vec<ChatEntry>,
    /// The message being streamed and its text so far.
    pub streaming_message: Option<(MessageId, String)>,
    pub message_count: usize,
    pub last_updated: DateTime<Utc>,
    /// Runs of this thread: their step and tool events belong here.
    runs: HashSet<RunId>,
    /// Tool-call steps of those runs → their tool use, and back.
    tool_steps: HashMap<StepId, ToolUseId>,
    step_of_tool: HashMap<ToolUseId, StepId>,
    /// Tool uses whose step waits for approval.
    gated: HashSet<ToolUseId>,
    #[serde(skip)]
    index: EntryIndex,
}

/// Positions of entries by id; derived from `entries`.
#[derive(Clone, Debug, Default, PartialEq)]
struct EntryIndex {
    messages: HashMap<MessageId, usize>,
    tools: HashMap<ToolUseId, usize>,
}

impl EntryIndex {
    fn build(entries: &[ChatEntry], from: usize, into: &mut Self) {
        for (i, entry) in entries.iter().enumerate().skip(from) {
            match entry {
                ChatEntry::Message(m) => into.messages.insert(m.id, i),
                ChatEntry::ToolUse(t) => into.tools.insert(t.id, i),
            };
        }
    }
}

#[derive(Deserialize)]
struct ChatViewData {
    thread_id: ThreadId,
    entries: Vec<ChatEntry>,
    streaming_message: Option<(MessageId, String)>,
    message_count: usize,
    last_updated: DateTime<Utc>,
    runs: HashSet<RunId>,
    tool_steps: HashMap<StepId, ToolUseId>,
    step_of_tool: HashMap<ToolUseId, StepId>,
    gated: HashSet<ToolUseId>,
}

impl From<ChatViewData> for ChatView {
    fn from(d: ChatViewData) -> Self {
        let mut index = EntryIndex::default();
        EntryIndex::build(&d.entries, 0, &mut index);
        Self {
            thread_id: d.thread_id,
            entries: d.entries,
            streaming_message: d.streaming_message,
            message_count: d.message_count,
            last_updated: d.last_updated,
            runs: d.runs,
            tool_steps: d.tool_steps,
            step_of_tool: d.step_of_tool,
            gated: d.gated,
            index,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum ChatEntry {
    Message(MessageView),
    ToolUse(ToolUseView),
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageView {
    pub id: MessageId,
    /// The final text; empty while the message streams (its text is in `streaming_message`).
    pub content: String,
    pub role: Role,
    pub timestamp: DateTime<Utc>,
    pub tool_uses: Vec<ToolUseId>,
    pub streaming: bool,
    /// Completed with the text received before its stream was cut off.
    pub interrupted: bool,
    /// Files and images the person attached (`MessageAttached`), without a file's text.
    #[serde(default)]
    pub attachments: Vec<AttachmentView>,
    /// Set on the last message a summary stands for: the chat shows the divider "Earlier
    /// messages summarized" after it, the summary unfoldable.
    #[serde(default)]
    pub compaction: Option<CompactionView>,
}

/// An attachment as the chat shows it: a chip for a file, a thumbnail for an image.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum AttachmentView {
    File {
        path: String,
        /// Bytes of the text recorded.
        bytes: u64,
        truncated: bool,
    },
    Image {
        blob: ContentHash,
        mime_type: String,
        bytes: u64,
        name: String,
    },
}

impl From<&Attachment> for AttachmentView {
    fn from(attachment: &Attachment) -> Self {
        match attachment {
            Attachment::File { path, content, truncated } => {
                Self::File { path: path.clone(), bytes: content.len() as u64, truncated: *truncated }
            }
            Attachment::Image { blob, mime_type, bytes, name } => {
                Self::Image { blob: *blob, mime_type: mime_type.clone(), bytes: *bytes, name: name.clone() }
            }
        }
    }
}

/// A summary that replaced the thread's older part in what the model is sent.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CompactionView {
    pub summary: String,
    pub replaced_tokens: u64,
    pub summary_tokens: u64,
    pub trigger: CompactionTrigger,
    pub timestamp: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ToolUseView {
    pub id: ToolUseId,
    pub tool_name: String,
    pub input_summary: String,
    pub output_summary: Option<String>,
    pub status: ToolStatus,
    pub duration_ms: Option<u64>,
    pub run_id: RunId,
    pub message_id: MessageId,
    /// The step that carries this tool call, once known.
    pub step_id: Option<StepId>,
    /// 0.0–1.0 while running, when the tool reports it.
    pub progress: Option<f32>,
    pub status_message: Option<String>,
    pub error: Option<String>,
    /// True while the tool call waits for a person to approve or reject it.
    pub awaiting_approval: bool,
    pub decision: Option<Verdict>,
}

/// How one event changed the entry list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum ChatChange {
    EntryAdded {
        index: usize,
    },
    EntryUpdated {
        index: usize,
    },
    /// Entries `start..end` were removed; later entries moved up by `end - start`.
    EntriesRemoved {
        start: usize,
        end: usize,
    },
}

impl ChatView {
    pub fn new(thread_id: ThreadId) -> Self {
        Self {
            thread_id,
            entries: Vec::new(),
            streaming_message: None,
            message_count: 0,
            last_updated: Utc::now(),
            runs: HashSet::new(),
            tool_steps: HashMap::new(),
            step_of_tool: HashMap::new(),
            gated: HashSet::new(),
            index: EntryIndex::default(),
        }
    }

    /// Entries `start..start + count`, clamped to the list, for virtual scrolling.
    pub fn visible_entries(&self, start: usize, count: usize) -> &[ChatEntry] {
        let start = start.min(self.entries.len());
        let end = start.saturating_add(count).min(self.entries.len());
        &self.entries[start..end]
    }

    /// Position of a message entry.
    pub fn message_index(&self, id: MessageId) -> Option<usize> {
        self.index.messages.get(&id).copied()
    }

    /// Position of a tool-use entry.
    pub fn tool_use_index(&self, id: ToolUseId) -> Option<usize> {
        self.index.tools.get(&id).copied()
    }

    /// The text a message shows now: the streamed text while it streams, else its content.
    pub fn message_text(&self, id: MessageId) -> Option<&str> {
        if let Some((streaming, text)) = &self.streaming_message {
            if *streaming == id {
                return Some(text);
            }
        }
        match &self.entries[self.message_index(id)?] {
            ChatEntry::Message(m) => Some(&m.content),
            ChatEntry::ToolUse(_) => None,
        }
    }

    /// True when the event is about this thread (directly or through one of its runs).
    pub fn concerns(&self, event: &DomainEvent) -> bool {
        if let Some(thread) = event.thread_id() {
            return thread == self.thread_id;
        }
        if let Some(run) = event.run_id() {
            return self.runs.contains(&run);
        }
        event.tool_use_id().is_some_and(|id| self.index.tools.contains_key(&id))
    }

    /// Folds one event in and says how the entry list changed.
    pub fn apply(&mut self, event: &DomainEvent) -> Option<ChatChange> {
        use DomainEvent as E;
        if !self.concerns(event) {
            return None;
        }
        self.last_updated = event.timestamp();
        match event {
            E::MessageAdded { message_id, content, role, timestamp, tool_uses, .. } => {
                if self.index.messages.contains_key(message_id) {
                    return None;
                }
                let streaming = content.is_empty() && *role == Role::Assistant;
                let index = self.push(ChatEntry::Message(MessageView {
                    id: *message_id,
                    content: content.clone(),
                    role: *role,
                    timestamp: *timestamp,
                    tool_uses: tool_uses.to_vec(),
                    streaming,
                    interrupted: false,
                    attachments: Vec::new(),
                    compaction: None,
                }));
                self.message_count += 1;
                if streaming {
                    self.start_stream(*message_id);
                }
                Some(ChatChange::EntryAdded { index })
            }
            E::MessageStreaming { message_id, content, .. } => {
                let index = self.message_index(*message_id)?;
                if !self.message_at(index)?.streaming {
                    return None;
                }
                if self.streaming_message.as_ref().map(|(id, _)| *id) != Some(*message_id) {
                    self.start_stream(*message_id);
                }
                if let Some((_, text)) = &mut self.streaming_message {
                    text.push_str(content);
                }
                Some(ChatChange::EntryUpdated { index })
            }
            E::MessageComplete { message_id, final_content, timestamp, .. } => {
                let index = self.message_index(*message_id)?;
                if self.streaming_message.as_ref().is_some_and(|(id, _)| id == message_id) {
                    self.streaming_message = None;
                }
                let message = self.message_at_mut(index)?;
                final_content.clone_into(&mut message.content);
                message.timestamp = *timestamp;
                message.streaming = false;
                message.interrupted = false;
                Some(ChatChange::EntryUpdated { index })
            }
            E::MessageDeleted { message_id, .. } => {
                let index = self.message_index(*message_id)?;
                if self.streaming_message.as_ref().is_some_and(|(id, _)| id == message_id) {
                    self.streaming_message = None;
                }
                self.remove(index);
                self.message_count = self.message_count.saturating_sub(1);
                Some(ChatChange::EntriesRemoved { start: index, end: index + 1 })
            }
            E::MessageAttached { message_id, attachment, .. } => {
                let index = self.message_index(*message_id)?;
                self.message_at_mut(index)?.attachments.push(attachment.into());
                Some(ChatChange::EntryUpdated { index })
            }
            E::ThreadCompacted {
                through,
                summary,
                replaced_tokens,
                summary_tokens,
                trigger,
                timestamp,
                ..
            } => {
                let index = self.message_index(*through)?;
                self.message_at_mut(index)?.compaction = Some(CompactionView {
                    summary: summary.clone(),
                    replaced_tokens: *replaced_tokens,
                    summary_tokens: *summary_tokens,
                    trigger: trigger.clone(),
                    timestamp: *timestamp,
                });
                Some(ChatChange::EntryUpdated { index })
            }
            E::RunStarted { run_id, .. } => {
                self.runs.insert(*run_id);
                None
            }
            E::RunStepStarted { step_id, step_type, .. } => {
                let StepType::ToolCall { tool_use_id, .. } = step_type else { return None };
                self.tool_steps.insert(*step_id, *tool_use_id);
                self.step_of_tool.insert(*tool_use_id, *step_id);
                if step_type.needs_approval() {
                    self.gated.insert(*tool_use_id);
                }
                let index = self.tool_use_index(*tool_use_id)?;
                let gated = step_type.needs_approval();
                let tool = self.tool_at_mut(index)?;
                tool.step_id = Some(*step_id);
                if gated && tool.status == ToolStatus::Running {
                    tool.status = ToolStatus::Pending;
                    tool.awaiting_approval = true;
                }
                Some(ChatChange::EntryUpdated { index })
            }
            E::RunStepUpdated { step_id, decision: Some(decision), .. } => {
                let tool_id = *self.tool_steps.get(step_id)?;
                self.gated.remove(&tool_id);
                let index = self.tool_use_index(tool_id)?;
                let tool = self.tool_at_mut(index)?;
                tool.awaiting_approval = false;
                tool.decision = Some(decision.verdict);
                if decision.verdict == Verdict::Approved && tool.status == ToolStatus::Pending {
                    tool.status = ToolStatus::Running;
                }
                Some(ChatChange::EntryUpdated { index })
            }
            E::RunStepComplete { step_id, .. } => {
                let tool_id = *self.tool_steps.get(step_id)?;
                if !self.gated.remove(&tool_id) {
                    return None;
                }
                let index = self.tool_use_index(tool_id)?;
                self.tool_at_mut(index)?.awaiting_approval = false;
                Some(ChatChange::EntryUpdated { index })
            }
            E::ToolUseStarted { tool_use_id, run_id, message_id, tool_name, input, .. } => {
                if self.index.tools.contains_key(tool_use_id) {
                    return None;
                }
                let awaiting = self.gated.contains(tool_use_id);
                let step_id = self.step_of_tool.get(tool_use_id).copied();
                if let Some(i) = self.message_index(*message_id) {
                    if let Some(m) = self.message_at_mut(i) {
                        m.tool_uses.push(*tool_use_id);
                    }
                }
                let index = self.push(ChatEntry::ToolUse(ToolUseView {
                    id: *tool_use_id,
                    tool_name: tool_name.clone(),
                    input_summary: summarize_json(input, INPUT_SUMMARY_CHARS),
                    output_summary: None,
                    status: if awaiting { ToolStatus::Pending } else { ToolStatus::Running },
                    duration_ms: None,
                    run_id: *run_id,
                    message_id: *message_id,
                    step_id,
                    progress: None,
                    status_message: None,
                    error: None,
                    awaiting_approval: awaiting,
                    decision: None,
                }));
                Some(ChatChange::EntryAdded { index })
            }
            E::ToolUseProgress { tool_use_id, progress, status_message, .. } => {
                let index = self.tool_use_index(*tool_use_id)?;
                let tool = self.tool_at_mut(index)?;
                if tool.status.is_final() {
                    return None;
                }
                tool.progress = Some(progress.clamp(0.0, 1.0));
                tool.status_message = Some(truncate(status_message, OUTPUT_SUMMARY_CHARS));
                Some(ChatChange::EntryUpdated { index })
            }
            E::ToolUseComplete { tool_use_id, result, duration_ms, .. } => {
                let index = self.tool_use_index(*tool_use_id)?;
                let tool = self.tool_at_mut(index)?;
                tool.output_summary = Some(summarize_output(result, OUTPUT_SUMMARY_CHARS));
                tool.status = ToolStatus::Success;
                tool.duration_ms = Some(*duration_ms);
                tool.progress = Some(1.0);
                Some(ChatChange::EntryUpdated { index })
            }
            E::ToolUseFailed { tool_use_id, error, .. } => {
                let index = self.tool_use_index(*tool_use_id)?;
                let tool = self.tool_at_mut(index)?;
                tool.status = ToolStatus::Failed;
                tool.error = Some(truncate(error, OUTPUT_SUMMARY_CHARS));
                tool.awaiting_approval = false;
                Some(ChatChange::EntryUpdated { index })
            }
            E::ToolUseCancelled { tool_use_id, .. } => {
                let index = self.tool_use_index(*tool_use_id)?;
                self.gated.remove(tool_use_id);
                let tool = self.tool_at_mut(index)?;
                tool.status = ToolStatus::Cancelled;
                tool.awaiting_approval = false;
                Some(ChatChange::EntryUpdated { index })
            }
            E::ThreadCreated { .. }
            | E::ThreadUpdated { .. }
            | E::RunStepUpdated { decision: None, .. }
            | E::RunArtifactAdded { .. }
            | E::RunFinished { .. }
            | E::ProjectCreated { .. }
            | E::ProjectUpdated { .. }
            | E::FileChanged { .. } => None,
        }
    }

    /// Folds in a stored event, including what its envelope's metadata says (a completion that
    /// was cut off).
    pub fn apply_stored(&mut self, envelope: &EventEnvelope) -> Option<ChatChange> {
        let change = self.apply(&envelope.event);
        if let (DomainEvent::MessageComplete { message_id, .. }, Some(_)) = (&envelope.event, change) {
            if envelope.is_interrupted() {
                let index = self.message_index(*message_id)?;
                self.message_at_mut(index)?.interrupted = true;
            }
        }
        change
    }

    fn push(&mut self, entry: ChatEntry) -> usize {
        let index = self.entries.len();
        self.entries.push(entry);
        EntryIndex::build(&self.entries, index, &mut self.index);
        index
    }

    /// Removes one entry. O(entries after it): deletions are rare person actions.
    fn remove(&mut self, index: usize) {
        match self.entries.remove(index) {
            ChatEntry::Message(m) => self.index.messages.remove(&m.id),
            ChatEntry::ToolUse(t) => self.index.tools.remove(&t.id),
        };
        EntryIndex::build(&self.entries, index, &mut self.index);
    }

    /// Makes `id` the streaming message, parking the text of one that was streaming before in
    /// its own entry (two messages of a thread rarely stream at once).
    fn start_stream(&mut self, id: MessageId) {
        if let Some((previous, text)) = self.streaming_message.take() {
            if let Some(m) = self.message_index(previous).and_then(|i| self.message_at_mut(i)) {
                m.content = text;
            }
        }
        let text = self
            .message_index(id)
            .and_then(|i| self.message_at_mut(i))
            .map(|m| std::mem::take(&mut m.content))
            .unwrap_or_default();
        self.streaming_message = Some((id, text));
    }

    fn message_at(&self, index: usize) -> Option<&MessageView> {
        match self.entries.get(index)? {
            ChatEntry::Message(m) => Some(m),
            ChatEntry::ToolUse(_) => None,
        }
    }

    fn message_at_mut(&mut self, index: usize) -> Option<&mut MessageView> {
        match self.entries.get_mut(index)? {
            ChatEntry::Message(m) => Some(m),
            ChatEntry::ToolUse(_) => None,
        }
    }

    fn tool_at_mut(&mut self, index: usize) -> Option<&mut ToolUseView> {
        match self.entries.get_mut(index)? {
            ChatEntry::ToolUse(t) => Some(t),
            ChatEntry::Message(_) => None,
        }
    }
}

impl Projection for ChatView {
    const NAME: &'static str = "chat_view";
    /// 2: a tool card's input summary names the path or command (snapshots of 1 are rebuilt).
    const VERSION: u32 = 2;

    fn apply_envelope(&mut self, envelope: &EventEnvelope) {
        self.apply_stored(envelope);
    }
}

impl EventProjection for ChatView {
    fn apply_event(&mut self, event: &DomainEvent) {
        self.apply(event);
    }
}
