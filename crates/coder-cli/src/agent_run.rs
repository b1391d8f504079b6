//! `coder run`: the agent, headless, on the same store as the app. Streams the answer, shows
//! each tool call, asks for each approval on the terminal (or approves the kinds given with
//! `--approve`), and exits non-zero when the run does not succeed.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coder_agent::provider::Provider;
use coder_agent::tools::{ToolKind, ToolSet};
use coder_agent::{Agent, LiveEvent, ProviderKind, Settings};
use coder_domain::{
    summarize_json, summarize_output, Approver, Command, ProjectChanges, ProjectId, RunId, RunStatus, StepId,
    ThreadId, ToolApproval, ToolStatus,
};
use coder_engine::{Engine, EngineConfig};

use crate::Failure;

/// Options of `coder run`.
pub struct RunOptions {
    pub project: PathBuf,
    pub thread: Option<String>,
    pub message: String,
    pub provider: Option<ProviderKind>,
    pub base_url: Option<String>,
    pub model: Option<String>,
    pub approve: Vec<String>,
}

/// The engine of `data_dir`, explaining a locked store in words.
pub fn open_engine(data_dir: &Path, recover: bool) -> Result<Engine, Failure> {
    let config = EngineConfig { recover, ..EngineConfig::default() };
    Engine::open_with(data_dir, config).map_err(|e| match e {
        coder_engine::EngineError::Open(coder_store::OpenError::Locked { .. }) => {
            Failure::new("the store is in use by a running Coder app; quit the app and try again")
        }
        other => Failure::new(other.to_string()),
    })
}

pub fn run(data_dir: &Path, options: RunOptions) -> Result<(), Failure> {
    let mut settings = Settings::load(data_dir)?;
    if let Some(kind) = options.provider {
        settings.provider = kind;
    }
    if let Some(url) = &options.base_url {
        settings.base_url.clone_from(url);
    }
    if let Some(model) = &options.model {
        settings.model.clone_from(model);
    }
    let auto: HashSet<ToolKind> = options
        .approve
        .iter()
        .map(|k| match k.as_str() {
            "read" => Ok(ToolKind::Read),
            "write" => Ok(ToolKind::Write),
            "command" => Ok(ToolKind::Command),
            other => Err(Failure::new(format!("--approve takes read, write or command, not {other:?}"))),
        })
        .collect::<Result<_, _>>()?;
    let provider = crate::providers::build(&settings)?;
    let engine = open_engine(data_dir, true)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let status = runtime.block_on(session(engine, provider, settings, options, auto))?;
    if status == RunStatus::Success {
        Ok(())
    } else {
        Err(Failure::new(format!("the run ended {status:?}")))
    }
}

async fn session(
    engine: Engine,
    provider: Arc<dyn Provider>,
    settings: Settings,
    options: RunOptions,
    auto: HashSet<ToolKind>,
) -> Result<RunStatus, Failure> {
    let project = ensure_project(&engine, &options.project).await?;
    let thread = match &options.thread {
        Some(id) => ThreadId::parse(id).map_err(|_| Failure::new(format!("{id:?} is not a thread id")))?,
        None => {
            let thread_id = ThreadId::new();
            let title = coder_domain::truncate(&options.message, 60);
            engine.dispatch(Command::CreateThread { thread_id, title, project_id: Some(project) }).await?;
            thread_id
        }
    };
    let agent = Agent::new(engine.clone(), provider, settings);
    eprintln!("provider: {}", agent.provider_label());
    eprintln!("thread:   {thread}");
    let mut live = agent.live();
    let mut changes = engine.subscribe();
    let run = agent.send_message(thread, &options.message).await?;
    eprintln!("run:      {run}\n");
    let mut shown = Shown::default();
    let mut speaking: Option<coder_domain::MessageId> = None;
    loop {
        tokio::select! {
            event = live.recv() => match event {
                Ok(LiveEvent::TextDelta { text, message_id, .. }) => {
                    if speaking.is_some_and(|m| m != message_id) {
                        println!("\n");
                    }
                    speaking = Some(message_id);
                    print!("{text}");
                    let _ = std::io::stdout().flush();
                }
                Ok(LiveEvent::ToolOutput { run_id, line, .. }) if run_id == run => eprintln!("    │ {line}"),
                _ => {}
            },
            _ = changes.recv() => {}
            _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
        }
        shown.print_progress(&engine, run);
        if let Some((step, tool_name, kind, input)) = waiting_step(&engine, run, &shown) {
            shown.asked.insert(step);
            decide(&agent, &engine, project, run, step, &tool_name, kind, &input, &auto).await?;
        }
        let status = engine.with_state(|s| s.runs.get(&run).map(|r| r.status));
        if let Some(status) = status.filter(|s| s.is_final()) {
            agent.wait(run).await;
            shown.print_progress(&engine, run);
            let view = engine.run_view(run)?;
            let run_entity = view.run.as_ref().expect("a finished run exists");
            let reason = engine
                .store()
                .read_stream(coder_domain::StreamId::Run(run), 1)?
                .last()
                .and_then(|e| e.metadata.get(coder_agent::META_REASON).cloned());
            println!();
            eprintln!(
                "\nrun {status:?} in {} ms · {} tokens in, {} out · ${:.2}{}",
                run_entity.duration_ms.unwrap_or(0),
                run_entity.cost.input_tokens,
                run_entity.cost.output_tokens,
                f64::from(run_entity.cost.usd_cents) / 100.0,
                reason.map(|r| format!(" · {r}")).unwrap_or_default()
            );
            return Ok(status);
        }
    }
}

/// The project whose folder is `dir`, created if Coder does not know it yet.
async fn ensure_project(engine: &Engine, dir: &Path) -> Result<ProjectId, Failure> {
    let root = std::fs::canonicalize(dir)
        .map_err(|e| Failure::new(format!("cannot open {}: {e}", dir.display())))?;
    let path = root.to_string_lossy().into_owned();
    if let Some(id) = engine.with_state(|s| s.projects.values().find(|p| p.path == path).map(|p| p.id)) {
        return Ok(id);
    }
    let project_id = ProjectId::new();
    let name = root.file_name().map_or_else(|| path.clone(), |n| n.to_string_lossy().into_owned());
    engine.dispatch(Command::CreateProject { project_id, name, path }).await?;
    Ok(project_id)
}

#[derive(Default)]
struct Shown {
    started: HashSet<coder_domain::ToolUseId>,
    ended: HashSet<coder_domain::ToolUseId>,
    asked: HashSet<StepId>,
}

impl Shown {
    /// Prints tool uses as they start and end.
    fn print_progress(&mut self, engine: &Engine, run: RunId) {
        let Ok(view) = engine.run_view(run) else { return };
        for tool in view.tool_uses {
            if self.started.insert(tool.id) {
                eprintln!("\n  ⚙ {} {}", tool.tool_name, summarize_json(&tool.input, 100));
            }
            if tool.status.is_final() && self.ended.insert(tool.id) {
                match tool.status {
                    ToolStatus::Success => eprintln!(
                        "    ✓ {} ms: {}",
                        tool.duration_ms.unwrap_or(0),
                        tool.output.as_ref().map(|o| summarize_output(o, 120)).unwrap_or_default()
                    ),
                    ToolStatus::Failed => eprintln!("    ✗ {}", tool.error.unwrap_or_default()),
                    _ => eprintln!("    ⊘ cancelled"),
                }
            }
        }
    }
}

/// A step of the run that waits for a decision this session has not asked about yet.
fn waiting_step(
    engine: &Engine,
    run: RunId,
    shown: &Shown,
) -> Option<(StepId, String, Option<ToolKind>, serde_json::Value)> {
    let tools = ToolSet::standard();
    engine.with_state(|s| {
        let run = s.runs.get(&run)?;
        let step = run.steps.iter().find(|st| st.awaiting_approval() && !shown.asked.contains(&st.id))?;
        let tool = s.tool_uses.get(&step.tool_use_id()?)?;
        let kind = tools.get(&tool.tool_name).map(|t| t.kind());
        Some((step.id, tool.tool_name.clone(), kind, tool.input.clone()))
    })
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    agent: &Agent,
    engine: &Engine,
    project: ProjectId,
    run: RunId,
    step: StepId,
    tool: &str,
    kind: Option<ToolKind>,
    input: &serde_json::Value,
    auto: &HashSet<ToolKind>,
) -> Result<(), Failure> {
    if let Some(kind) = kind.filter(|k| auto.contains(k)) {
        let rule = format!(
            "--approve {}",
            match kind {
                ToolKind::Read => "read",
                ToolKind::Write => "write",
                ToolKind::Command => "command",
            }
        );
        eprintln!("    approved by {rule}");
        agent.approve(run, step, Approver::Policy { rule }).await?;
        return Ok(());
    }
    eprintln!(
        "\n  ? {tool} wants to run with:\n{}",
        indent(&serde_json::to_string_pretty(input).unwrap_or_default())
    );
    eprint!("  Approve? [y]es / [n]o / [a]lways for {tool} in this project: ");
    let _ = std::io::stderr().flush();
    if !std::io::stdin().is_terminal() {
        eprintln!("(reading the answer from standard input)");
    }
    let answer = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map(|_| line)
    })
    .await
    .map_err(|e| Failure::new(e.to_string()))??;
    match answer.trim().to_lowercase().as_str() {
        "y" | "yes" => agent.approve(run, step, Approver::Person).await?,
        "a" | "always" => {
            let changes = ProjectChanges {
                tool_approvals: BTreeMap::from([(tool.to_string(), ToolApproval::AlwaysAllow)]),
                ..Default::default()
            };
            engine.dispatch(Command::UpdateProject { project_id: project, changes }).await?;
            agent.approve(run, step, Approver::Person).await?;
        }
        _ => {
            agent.reject(run, step, Approver::Person, Some("rejected on the terminal".into())).await?;
        }
    }
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n")
}
