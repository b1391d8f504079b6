//! Synthetic but realistic conversations, as the engine would have stored them.
//!
//! A turn is what one message of a person sets off: the person's message, then a run of the
//! agent — a model call that streams the reply in deltas of `TOKENS_PER_DELTA` tokens and
//! completes it, none, one or two read-only tool calls (step, tool use started and completed,
//! step completed), and the run's end. Events go to the stream the engine would put them in
//! (messages to the thread, the rest to the run), carry the `command` metadata `dispatch` adds,
//! and are chained causally within their correlation. Texts are words drawn from a small
//! vocabulary; one word and its leading space count as one token (about 5 bytes). Everything is
//! drawn from a seeded generator, so a run's workload is the same every time, ids and clock
//! aside.

use chrono::{DateTime, Duration, TimeZone, Utc};
use coder_domain::{
    ApprovalGate, Cost, DomainEvent, MessageId, NewEvent, Role, RunId, RunStatus, SmallVec, StepId,
    StepResult, StepType, StreamId, ThreadId, ToolOutput, ToolUseId,
};
use std::collections::HashMap;
use uuid::Uuid;

use crate::sizes::TOKENS_PER_DELTA;

/// Metadata key the engine stores the dispatched command's name under.
const META_COMMAND: &str = "command";

const WORDS: [&str; 64] = [
    "the", "test", "fails", "because", "parser", "returns", "an", "error", "when", "input", "is", "empty",
    "we", "should", "check", "length", "first", "then", "call", "fn", "parse", "in", "src", "lib", "rs",
    "and", "update", "module", "so", "it", "handles", "this", "case", "let", "me", "read", "file", "look",
    "at", "line", "42", "where", "value", "of", "type", "Option", "String", "is", "moved", "into", "closure",
    "fix", "by", "cloning", "before", "loop", "now", "all", "tests", "pass", "with", "cargo", "build", "ok",
];

const TOOLS: [&str; 4] = ["read_file", "search", "list_files", "read_file"];

/// An event on its way to a stream.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    pub stream: StreamId,
    pub event: NewEvent,
}

/// SplitMix64: small, fast and good enough to vary lengths and words.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..high`.
    fn range(&mut self, low: usize, high: usize) -> usize {
        low + (self.next() % (high - low).max(1) as u64) as usize
    }
}

/// The events of one correlation, each caused by the one before.
struct Chain {
    correlation: Uuid,
    previous: Option<Uuid>,
}

impl Chain {
    fn after(cause: Uuid) -> Self {
        Self { correlation: Uuid::now_v7(), previous: Some(cause) }
    }

    fn next(&mut self, stream: StreamId, event: DomainEvent, command: &str) -> Planned {
        let mut new = NewEvent::new(event).correlated(self.correlation).with_metadata(META_COMMAND, command);
        new.causation_id = self.previous;
        self.previous = Some(new.event_id);
        Planned { stream, event: new }
    }
}

/// Generates conversations.
pub(crate) struct Workload {
    rng: Rng,
    clock: DateTime<Utc>,
}

impl Workload {
    pub fn new(seed: u64) -> Self {
        let start = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).single().unwrap_or_else(Utc::now);
        Self { rng: Rng(seed), clock: start }
    }

    /// The clock, advanced by 50 ms to 3 s with nanosecond digits, as real timestamps have.
    fn tick(&mut self) -> DateTime<Utc> {
        self.clock += Duration::nanoseconds(self.rng.range(50_000_000, 3_000_000_000) as i64);
        self.clock
    }

    /// Between `low` and `high` tokens.
    fn some_tokens(&mut self, low: usize, high: usize) -> String {
        let n = self.rng.range(low, high);
        self.tokens(n)
    }

    /// `n` tokens: words, each with its leading space.
    pub fn tokens(&mut self, n: usize) -> String {
        let mut text = String::with_capacity(n * 6);
        for _ in 0..n {
            text.push(' ');
            text.push_str(WORDS[self.rng.range(0, WORDS.len())]);
        }
        text
    }

    pub fn create_thread(&mut self, thread_id: ThreadId) -> Planned {
        let title = self.some_tokens(3, 8).trim().to_string();
        let event = DomainEvent::ThreadCreated { thread_id, title, timestamp: self.tick(), project_id: None };
        Planned {
            stream: StreamId::Thread(thread_id),
            event: NewEvent::new(event).with_metadata(META_COMMAND, "CreateThread"),
        }
    }

    /// A person's message (15–80 tokens): the event of `SendMessage`.
    pub fn user_message(&mut self, thread_id: ThreadId) -> Planned {
        let content = self.some_tokens(15, 80).trim_start().to_string();
        let event = DomainEvent::MessageAdded {
            thread_id,
            message_id: MessageId::new(),
            content,
            role: Role::User,
            tool_uses: SmallVec::new(),
            timestamp: self.tick(),
        };
        Planned {
            stream: StreamId::Thread(thread_id),
            event: NewEvent::new(event).with_metadata(META_COMMAND, "SendMessage"),
        }
    }

    /// One turn of `thread_id`: a person's message and the agent's run that answers it (two
    /// messages, 0–2 tool uses, 9–30 events).
    pub fn turn(&mut self, thread_id: ThreadId, out: &mut Vec<Planned>) {
        let thread = StreamId::Thread(thread_id);
        let user = self.user_message(thread_id);
        let mut chain = Chain::after(user.event.event_id);
        out.push(user);
        let run_id = RunId::new();
        let run = StreamId::Run(run_id);
        let started = self.tick();
        let agent_name = "coder".to_string();
        out.push(chain.next(
            run,
            DomainEvent::RunStarted { run_id, thread_id, agent_name, timestamp: started },
            "StartRun",
        ));
        let step_id = StepId::new();
        let step_type = StepType::ModelCall;
        let description = "model call".to_string();
        let event =
            DomainEvent::RunStepStarted { run_id, step_id, step_type, description, timestamp: self.tick() };
        out.push(chain.next(run, event, "StartStep"));

        let message_id = MessageId::new();
        let event = DomainEvent::MessageAdded {
            thread_id,
            message_id,
            content: String::new(),
            role: Role::Assistant,
            tool_uses: SmallVec::new(),
            timestamp: self.tick(),
        };
        out.push(chain.next(thread, event, "StartAssistantMessage"));
        let reply_tokens = self.rng.range(60, 400);
        let mut text = String::new();
        let mut left = reply_tokens;
        while left > 0 {
            let delta = self.tokens(left.min(TOKENS_PER_DELTA));
            left = left.saturating_sub(TOKENS_PER_DELTA);
            text.push_str(&delta);
            let event = DomainEvent::MessageStreaming {
                thread_id,
                message_id,
                content: delta,
                timestamp: self.tick(),
            };
            out.push(chain.next(thread, event, "StreamText"));
        }
        let event = DomainEvent::MessageComplete {
            thread_id,
            message_id,
            final_content: text,
            timestamp: self.tick(),
        };
        out.push(chain.next(thread, event, "CompleteMessage"));
        let output_tokens = reply_tokens as u32;
        let input_tokens = self.rng.range(2_000, 30_000) as u32;
        let cost = Cost {
            input_tokens,
            output_tokens,
            total_tokens: input_tokens + output_tokens,
            usd_cents: (input_tokens + output_tokens * 4) / 10_000,
        };
        let event = DomainEvent::RunStepComplete {
            run_id,
            step_id,
            result: StepResult::Success,
            timestamp: self.tick(),
            cost: Some(cost),
        };
        out.push(chain.next(run, event, "CompleteStep"));

        let tools = [0, 0, 1, 1, 2][self.rng.range(0, 5)];
        for _ in 0..tools {
            self.tool_call(run_id, message_id, &mut chain, out);
        }
        let duration_ms = (self.clock - started).num_milliseconds().max(0) as u64;
        let event = DomainEvent::RunFinished {
            run_id,
            status: RunStatus::Success,
            cost,
            duration_ms,
            timestamp: self.tick(),
        };
        out.push(chain.next(run, event, "FinishRun"));
    }

    /// A pre-approved read-only tool call of `message_id`, from its step's start to its end.
    fn tool_call(&mut self, run_id: RunId, message_id: MessageId, chain: &mut Chain, out: &mut Vec<Planned>) {
        let run = StreamId::Run(run_id);
        let step_id = StepId::new();
        let tool_use_id = ToolUseId::new();
        let tool_name = TOOLS[self.rng.range(0, TOOLS.len())].to_string();
        let gate = ApprovalGate::PreApproved { policy: "read-only tool".into() };
        let step_type = StepType::ToolCall { tool_use_id, tool_name: tool_name.clone(), gate };
        let description = format!("{tool_name} src/parser.rs");
        let event =
            DomainEvent::RunStepStarted { run_id, step_id, step_type, description, timestamp: self.tick() };
        out.push(chain.next(run, event, "StartStep"));
        let input =
            serde_json::json!({ "path": format!("src/{}.rs", WORDS[self.rng.range(0, WORDS.len())]) });
        let event = DomainEvent::ToolUseStarted {
            tool_use_id,
            run_id,
            message_id,
            tool_name,
            input,
            timestamp: self.tick(),
        };
        out.push(chain.next(run, event, "StartToolUse"));
        let result = ToolOutput::Text(self.some_tokens(30, 300));
        let duration_ms = self.rng.range(1, 200) as u64;
        let event = DomainEvent::ToolUseComplete { tool_use_id, result, duration_ms, timestamp: self.tick() };
        out.push(chain.next(run, event, "CompleteToolUse"));
        let event = DomainEvent::RunStepComplete {
            run_id,
            step_id,
            result: StepResult::Success,
            timestamp: self.tick(),
            cost: None,
        };
        out.push(chain.next(run, event, "CompleteStep"));
    }
}

/// Gives planned events their place in the log: the next global sequence and the next version
/// of their stream, as the store's writer would.
pub(crate) struct LogBuilder {
    next_sequence: u64,
    versions: HashMap<StreamId, u64>,
}

impl LogBuilder {
    /// A builder continuing a log whose last sequence is `last_sequence`.
    pub fn after(last_sequence: u64) -> Self {
        Self { next_sequence: last_sequence + 1, versions: HashMap::new() }
    }

    /// Continues `stream` from `version` (its events written before this builder existed).
    pub fn set_version(&mut self, stream: StreamId, version: u64) {
        self.versions.insert(stream, version);
    }

    pub fn place(&mut self, planned: Planned) -> coder_domain::EventEnvelope {
        let version = self.versions.entry(planned.stream).or_insert(0);
        *version += 1;
        let envelope = planned.event.into_envelope(self.next_sequence, planned.stream, *version);
        self.next_sequence += 1;
        envelope
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coder_domain::{ChatView, DomainState, Projection};

    #[test]
    fn a_turn_replays_into_two_messages_and_its_tool_uses() {
        let mut workload = Workload::new(7);
        let thread = ThreadId::new();
        let mut planned = vec![workload.create_thread(thread)];
        for _ in 0..20 {
            workload.turn(thread, &mut planned);
        }
        let mut builder = LogBuilder::after(0);
        let envelopes: Vec<_> = planned.into_iter().map(|p| builder.place(p)).collect();
        let state = DomainState::replay(envelopes.iter().map(|e| &e.event));
        let mut view = ChatView::new(thread);
        envelopes.iter().for_each(|e| view.apply_envelope(e));
        assert_eq!(view.message_count, 40, "each turn adds the person's message and the reply");
        assert!(view.streaming_message.is_none(), "every streamed reply was completed");
        assert!(state.messages.values().all(|m| !m.streaming), "the domain agrees that nothing streams");
        assert!(state.runs.values().all(|r| r.status == RunStatus::Success), "every run finished");
        assert_eq!(view.entries.len(), 40 + state.tool_uses.len(), "every tool use has its card");
        assert!(envelopes.windows(2).all(|w| w[1].sequence == w[0].sequence + 1), "sequences have no gap");
    }
}
