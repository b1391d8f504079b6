use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use coder_agent::provider::{
    ModelEvent, OpenAiConfig, OpenAiProvider, Provider, StopReason, ToolCall, Usage,
};
use coder_agent::testing::{ScriptServer, Turn};
use coder_agent::{Agent, Prices, Settings};
use coder_domain::*;
use coder_engine::{Engine, EngineConfig};
use tempfile::TempDir;

/// A project folder, a data directory, the engine, and a thread about the project.
pub struct World {
    pub project_dir: TempDir,
    pub data_dir: TempDir,
    pub engine: Engine,
    pub project: ProjectId,
    pub thread: ThreadId,
}

impl World {
    pub async fn new() -> Self {
        let project_dir = TempDir::new().unwrap();
        std::fs::write(project_dir.path().join("README.md"), "# Sample\nA sample project.\n").unwrap();
        std::fs::create_dir(project_dir.path().join("src")).unwrap();
        std::fs::write(project_dir.path().join("src/lib.rs"), "pub fn answer() -> u32 { 41 }\n").unwrap();
        let data_dir = TempDir::new().unwrap();
        let engine = open_engine(data_dir.path());
        let project = ProjectId::new();
        let path = std::fs::canonicalize(project_dir.path()).unwrap().to_string_lossy().into_owned();
        engine
            .dispatch(Command::CreateProject { project_id: project, name: "sample".into(), path })
            .await
            .unwrap();
        let thread = ThreadId::new();
        engine
            .dispatch(Command::CreateThread {
                thread_id: thread,
                title: "Help".into(),
                project_id: Some(project),
            })
            .await
            .unwrap();
        Self { project_dir, data_dir, engine, project, thread }
    }

    /// The app quits — its agent stops without recording anything, the engine closes — and
    /// starts again on the same data directory (start-up recovery included).
    pub async fn restart(self, agent: Agent) -> World {
        agent.shutdown().await;
        drop(agent);
        let World { project_dir, data_dir, engine, project, thread } = self;
        engine.close();
        let engine = open_engine(data_dir.path());
        World { project_dir, data_dir, engine, project, thread }
    }

    pub fn agent(&self, server: &ScriptServer) -> Agent {
        agent_for(&self.engine, openai(server))
    }

    pub fn file(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.project_dir.path().join(path)).ok()
    }
}

pub fn open_engine(dir: &Path) -> Engine {
    Engine::open_with(dir, EngineConfig::default()).unwrap()
}

pub fn openai(server: &ScriptServer) -> Arc<dyn Provider> {
    Arc::new(OpenAiProvider::new(OpenAiConfig::new(server.base_url(), "test-model")).unwrap())
}

/// The prices every test run uses: $3 and $15 per million tokens.
pub fn prices() -> Prices {
    Prices::new(3.0, 15.0)
}

pub fn agent_for(engine: &Engine, provider: Arc<dyn Provider>) -> Agent {
    let settings = Settings { prices: prices(), ..Settings::default() };
    Agent::new(engine.clone(), provider, settings)
}

pub fn text(words: &[&str]) -> Vec<ModelEvent> {
    words.iter().map(|w| ModelEvent::TextDelta((*w).to_string())).collect()
}

pub fn usage(input: u32, output: u32) -> ModelEvent {
    ModelEvent::Usage(Usage::new(input, output))
}

/// A turn that answers with text and ends.
pub fn answer(words: &[&str]) -> Turn {
    let mut events = text(words);
    events.push(usage(100, 20));
    events.push(ModelEvent::Stop(StopReason::EndTurn));
    Turn::reply(events)
}

/// A turn that says something, then calls one tool.
pub fn call(say: &str, tool: &str, input: serde_json::Value) -> Turn {
    Turn::reply(vec![
        ModelEvent::TextDelta(say.into()),
        ModelEvent::ToolCall(ToolCall { id: format!("call_{tool}"), name: tool.into(), input }),
        usage(200, 30),
        ModelEvent::Stop(StopReason::ToolUse),
    ])
}

/// Waits (up to 20 s) until `check` holds for the run.
pub async fn until(engine: &Engine, run: RunId, what: &str, check: impl Fn(&Run) -> bool) -> Run {
    for _ in 0..400 {
        if let Some(r) = engine.with_state(|s| s.runs.get(&run).cloned()) {
            if check(&r) {
                return r;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("run {run} never became {what}: {:?}", engine.with_state(|s| s.runs.get(&run).cloned()));
}

pub async fn finished(engine: &Engine, run: RunId) -> Run {
    until(engine, run, "finished", |r| r.status.is_final()).await
}

pub async fn waiting(engine: &Engine, run: RunId) -> Run {
    until(engine, run, "waiting for approval", |r| r.status == RunStatus::WaitingForApproval).await
}

/// The step of a run that waits for approval.
pub fn waiting_step(run: &Run) -> StepId {
    run.steps.iter().find(|s| s.awaiting_approval()).expect("a waiting step").id
}

/// The final text of the thread's assistant messages, in order.
pub fn replies(engine: &Engine, thread: ThreadId) -> Vec<String> {
    engine
        .chat_view(thread)
        .unwrap()
        .entries
        .iter()
        .filter_map(|e| match e {
            ChatEntry::Message(m) if m.role == Role::Assistant => Some(m.content.clone()),
            _ => None,
        })
        .collect()
}

/// The events of a run's correlation.
pub fn run_events(engine: &Engine, run: RunId) -> Vec<EventEnvelope> {
    let correlation = engine.store().read_stream(StreamId::Run(run), 1).unwrap()[0].correlation_id;
    engine.correlation(correlation).unwrap().events
}

/// The tool results the model was sent in a request (OpenAI wire: `role: tool` messages).
pub fn tool_results(request: &serde_json::Value) -> Vec<String> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}
