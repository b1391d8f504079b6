//! `WriteModel`: what `decide` needs in memory, with what the engine needs to route events —
//! stream versions for optimistic concurrency, the runs of each thread, and where each run's
//! latest event sits. It is a projection like the others, so it snapshots and restores.
//!
//! It keeps the entities' states, not their contents: once a message is complete its text is
//! dropped, and once a tool use has ended its input and output are dropped — `decide` never
//! looks at them, the chat view and the log hold them. What is still in flight keeps its content:
//! a streaming message's text (for the size limit and for completing it after a crash) and a
//! waiting or running tool use's input (the runner executes it). This keeps the model's memory,
//! its snapshot and the start-up time proportional to what is open, not to all history.

use std::collections::HashMap;

use coder_domain::{DomainEvent, DomainState, EventEnvelope, Projection, RunId, StreamId, ThreadId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct WriteModel {
    pub domain: DomainState,
    /// Stream → its version as applied; the expected version of the next append to it.
    pub versions: HashMap<StreamId, u64>,
    /// Thread → its runs, oldest first.
    pub thread_runs: HashMap<ThreadId, Vec<RunId>>,
    /// Run → sequence of its latest event, so a tail read can skip runs that ended earlier.
    pub run_last_sequence: HashMap<RunId, u64>,
    /// Open run → the correlation id of its events, so that whatever continues, answers or ends
    /// it records in the same correlation without reading the run's stream. Dropped when the
    /// run finishes: it grows with what is open, not with history.
    pub run_correlation: HashMap<RunId, Uuid>,
}

impl WriteModel {
    pub fn version(&self, stream: StreamId) -> u64 {
        self.versions.get(&stream).copied().unwrap_or(0)
    }

    /// Drops the contents `decide` no longer needs after this event.
    fn drop_contents(&mut self, event: &DomainEvent) {
        match event {
            DomainEvent::MessageAdded { message_id, .. }
            | DomainEvent::MessageComplete { message_id, .. } => {
                if let Some(message) = self.domain.messages.get_mut(message_id).filter(|m| !m.streaming) {
                    message.content = String::new();
                }
            }
            DomainEvent::ToolUseComplete { tool_use_id, .. }
            | DomainEvent::ToolUseFailed { tool_use_id, .. }
            | DomainEvent::ToolUseCancelled { tool_use_id, .. } => {
                if let Some(tool) = self.domain.tool_uses.get_mut(tool_use_id).filter(|t| t.status.is_final())
                {
                    tool.input = serde_json::Value::Null;
                    tool.output = None;
                    tool.error = None;
                }
            }
            _ => {}
        }
    }
}

impl Projection for WriteModel {
    const NAME: &'static str = "write_model";
    /// 2: adds `run_correlation`; a version 1 snapshot is discarded and rebuilt from the log.
    const VERSION: u32 = 2;

    fn apply_envelope(&mut self, envelope: &EventEnvelope) {
        self.domain.apply(&envelope.event);
        self.drop_contents(&envelope.event);
        self.versions.insert(envelope.stream, envelope.stream_version);
        match &envelope.event {
            DomainEvent::RunStarted { run_id, thread_id, .. } => {
                let runs = self.thread_runs.entry(*thread_id).or_default();
                if !runs.contains(run_id) {
                    runs.push(*run_id);
                }
                self.run_correlation.entry(*run_id).or_insert(envelope.correlation_id);
            }
            DomainEvent::RunFinished { run_id, .. } => {
                self.run_correlation.remove(run_id);
            }
            _ => {}
        }
        if let StreamId::Run(run) = envelope.stream {
            self.run_last_sequence.insert(run, envelope.sequence);
        }
    }
}
