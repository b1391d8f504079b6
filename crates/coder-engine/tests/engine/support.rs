use coder_domain::*;
use coder_engine::{Engine, EngineConfig};
use tempfile::TempDir;

pub fn config() -> EngineConfig {
    EngineConfig {
        chat_snapshot_every: 25,
        thread_list_snapshot_every: 30,
        write_model_snapshot_every: 60,
        chat_cache_size: 2,
        recover: true,
    }
}

pub fn open(dir: &TempDir) -> Engine {
    Engine::open_with(dir.path(), config()).expect("engine opens")
}

/// A thread with a project; returns (project, thread).
pub fn thread(engine: &Engine, title: &str) -> (ProjectId, ThreadId) {
    let project = ProjectId::new();
    let path = format!("/tmp/project-{project}");
    engine
        .dispatch_blocking(Command::CreateProject { project_id: project, name: "demo".into(), path })
        .unwrap();
    let thread = ThreadId::new();
    engine
        .dispatch_blocking(Command::CreateThread {
            thread_id: thread,
            title: title.into(),
            project_id: Some(project),
        })
        .unwrap();
    (project, thread)
}

pub fn say(engine: &Engine, thread: ThreadId, text: &str) -> MessageId {
    let message_id = MessageId::new();
    engine
        .dispatch_blocking(Command::SendMessage {
            thread_id: thread,
            message_id,
            content: text.into(),
            attachments: Vec::new(),
        })
        .unwrap();
    message_id
}

/// A run with a streaming reply; returns (run, reply).
pub fn run_with_reply(engine: &Engine, thread: ThreadId) -> (RunId, MessageId) {
    let run = RunId::new();
    engine
        .dispatch_blocking(Command::StartRun { run_id: run, thread_id: thread, agent_name: "coder".into() })
        .unwrap();
    let reply = MessageId::new();
    engine
        .dispatch_blocking(Command::StartAssistantMessage { thread_id: thread, message_id: reply })
        .unwrap();
    (run, reply)
}

/// A tool call waiting for approval; returns (step, tool use).
pub fn gated_tool(engine: &Engine, run: RunId, reply: MessageId) -> (StepId, ToolUseId) {
    let step = StepId::new();
    let tool = ToolUseId::new();
    engine
        .dispatch_blocking(Command::StartStep {
            run_id: run,
            step_id: step,
            step_type: StepType::ToolCall {
                tool_use_id: tool,
                tool_name: "write_file".into(),
                gate: ApprovalGate::NeedsApproval,
            },
            description: "Write src/lib.rs".into(),
        })
        .unwrap();
    engine
        .dispatch_blocking(Command::StartToolUse {
            tool_use_id: tool,
            run_id: run,
            message_id: reply,
            tool_name: "write_file".into(),
            input: serde_json::json!({"path": "src/lib.rs", "content": "pub fn x() {}"}),
        })
        .unwrap();
    (step, tool)
}

/// The thread's chat view rebuilt from every stored event, without snapshots.
pub fn full_replay(engine: &Engine, thread: ThreadId) -> ChatView {
    let mut view = ChatView::new(thread);
    for envelope in engine.thread_events(thread).unwrap() {
        view.apply_stored(&envelope);
    }
    view
}

/// Chat views compared by what they show (`last_updated` of an empty new view is its creation).
pub fn shown(view: &ChatView) -> (Vec<ChatEntry>, Option<(MessageId, String)>, usize) {
    (view.entries.clone(), view.streaming_message.clone(), view.message_count)
}
