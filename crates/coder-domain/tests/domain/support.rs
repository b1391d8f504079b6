//! Given / when / then for `decide`, and small builders.

use coder_domain::*;
use serde_json::json;

/// The fixed clock of every scenario, so expected events can be written out exactly.
pub fn now() -> DateTime<Utc> {
    "2026-01-02T03:04:05Z".parse().unwrap()
}

pub struct Scenario {
    pub state: DomainState,
    pub history: Vec<DomainEvent>,
}

/// A state built from these events.
pub fn given(events: impl IntoIterator<Item = DomainEvent>) -> Scenario {
    let history: Vec<DomainEvent> = events.into_iter().collect();
    Scenario { state: DomainState::replay(&history), history }
}

/// A state built by deciding these commands in order; each must succeed.
pub fn given_commands(commands: impl IntoIterator<Item = Command>) -> Scenario {
    let mut scenario = given([]);
    for command in commands {
        scenario.run(command);
    }
    scenario
}

impl Scenario {
    /// Decides and applies one more command that must succeed; returns its events.
    #[track_caller]
    pub fn run(&mut self, command: Command) -> Vec<DomainEvent> {
        let name = command.name();
        let events = decide(&self.state, &command, now())
            .unwrap_or_else(|e| panic!("setup command {name} failed: {e} ({})", e.code()));
        for event in &events {
            self.state.apply(event);
        }
        self.history.extend(events.iter().cloned());
        events
    }

    pub fn when(&self, command: Command) -> Outcome {
        Outcome { result: decide(&self.state, &command, now()) }
    }
}

pub struct Outcome {
    pub result: Result<Vec<DomainEvent>, DomainError>,
}

impl Outcome {
    #[track_caller]
    pub fn then_expect_events(self, expected: &[DomainEvent]) {
        match self.result {
            Ok(events) => assert_eq!(events, expected),
            Err(e) => panic!("expected events, got error {} ({e})", e.code()),
        }
    }

    #[track_caller]
    pub fn then_expect_no_events(self) {
        self.then_expect_events(&[]);
    }

    /// Asserts the error code; an error always comes with no events, as `Result` guarantees.
    #[track_caller]
    pub fn then_expect_error(self, code: &str) -> DomainError {
        match self.result {
            Ok(events) => panic!("expected error {code}, got {} events: {events:?}", events.len()),
            Err(e) => {
                assert_eq!(e.code(), code, "wrong error: {e}");
                assert!(!e.to_string().is_empty(), "every error has a readable message");
                e
            }
        }
    }
}

/// Ids of a small world: a project with a thread, a user message, a run, and an assistant message.
pub struct World {
    pub project: ProjectId,
    pub thread: ThreadId,
    pub user_message: MessageId,
    pub run: RunId,
    pub reply: MessageId,
}

impl World {
    pub fn new() -> Self {
        Self {
            project: ProjectId::new(),
            thread: ThreadId::new(),
            user_message: MessageId::new(),
            run: RunId::new(),
            reply: MessageId::new(),
        }
    }

    /// Commands that build the world up to a streaming assistant reply in a started run.
    pub fn setup(&self) -> Vec<Command> {
        vec![
            Command::CreateProject {
                project_id: self.project,
                name: "demo".into(),
                path: "/tmp/demo".into(),
            },
            Command::CreateThread {
                thread_id: self.thread,
                title: "Fix the bug".into(),
                project_id: Some(self.project),
            },
            Command::SendMessage {
                thread_id: self.thread,
                message_id: self.user_message,
                content: "Please fix it".into(),
                attachments: Vec::new(),
            },
            Command::StartRun { run_id: self.run, thread_id: self.thread, agent_name: "coder".into() },
            Command::StartAssistantMessage { thread_id: self.thread, message_id: self.reply },
        ]
    }

    pub fn scenario(&self) -> Scenario {
        given_commands(self.setup())
    }

    /// Starts a tool-call step and its tool use; returns (step, tool use).
    pub fn tool_call(&self, s: &mut Scenario, tool: &str, gate: ApprovalGate) -> (StepId, ToolUseId) {
        let step = StepId::new();
        let tool_use = ToolUseId::new();
        s.run(Command::StartStep {
            run_id: self.run,
            step_id: step,
            step_type: StepType::ToolCall { tool_use_id: tool_use, tool_name: tool.into(), gate },
            description: format!("{tool} step"),
        });
        s.run(Command::StartToolUse {
            tool_use_id: tool_use,
            run_id: self.run,
            message_id: self.reply,
            tool_name: tool.into(),
            input: json!({"path": "src/lib.rs"}),
        });
        (step, tool_use)
    }
}

pub fn pre_approved() -> ApprovalGate {
    ApprovalGate::PreApproved { policy: "read-only tool".into() }
}
