//! The read side a full replay rebuilds, the same for Coder and for the SQLite baseline: the
//! thread list and one `ChatView` per thread, each event routed to its thread as the engine
//! routes it (directly, through its run, or through its tool use).

use std::collections::HashMap;

use coder_domain::{
    ChatView, DomainEvent, EventEnvelope, Projection, RunId, ThreadId, ThreadList, ToolUseId,
};

#[derive(Default)]
pub(crate) struct Projections {
    threads: ThreadList,
    chats: HashMap<ThreadId, ChatView>,
    run_thread: HashMap<RunId, ThreadId>,
    tool_thread: HashMap<ToolUseId, ThreadId>,
    events: u64,
}

impl Projections {
    pub fn apply(&mut self, envelope: &EventEnvelope) {
        let event = &envelope.event;
        self.events += 1;
        self.threads.apply_envelope(envelope);
        let thread = event
            .thread_id()
            .or_else(|| event.run_id().and_then(|run| self.run_thread.get(&run).copied()))
            .or_else(|| event.tool_use_id().and_then(|tool| self.tool_thread.get(&tool).copied()));
        let Some(thread) = thread else { return };
        match event {
            DomainEvent::RunStarted { run_id, .. } => {
                self.run_thread.insert(*run_id, thread);
            }
            DomainEvent::ToolUseStarted { tool_use_id, .. } => {
                self.tool_thread.insert(*tool_use_id, thread);
            }
            _ => {}
        }
        self.chats.entry(thread).or_insert_with(|| ChatView::new(thread)).apply_envelope(envelope);
    }

    pub fn events(&self) -> u64 {
        self.events
    }

    /// Threads listed, and chat entries over all threads: proof that both sides built the same.
    pub fn shape(&self) -> (usize, usize) {
        (self.threads.len(), self.chats.values().map(|c| c.entries.len()).sum())
    }
}
