//! `coder run` and `coder resume`: the agent, headless, on the same store as the app. Streams
//! the answer, shows each tool call, asks for each approval on the terminal (or approves the
//! kinds given with `--approve`), and exits non-zero when a run does not succeed.

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use coder_agent::provider::Provider;
use coder_agent::tools::{ToolKind, ToolSet};
use coder_agent::{Agent, LiveEvent, Settings};
use coder_domain::{
    summarize_json, summarize_output, Approver, Command, ProjectId, RunId, RunStatus, StepId, ThreadId,
    ToolStatus,
};
use coder_engine::{Engine, EngineConfig};

use crate::args::AgentArgs;
use crate::Failure;

/// Options of `coder run`.
pub struct RunOptions {
    pub project: PathBuf,
    pub thread: Option<String>,
    pub message: String,
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

/// The settings with the command line's choices over them, the provider they name, and the
/// kinds of tool call approved without asking.
struct Prepared {
    settings: Settings,
    provider: Arc<dyn Provider>,
    auto: HashSet<ToolKind>,
}

fn prepare(data_dir: &Path, args: &AgentArgs) -> Result<Prepared, Failure> {
    let mut settings = Settings::load(data_dir)?;
    if let Some(kind) = args.provider {
        settings.provider = crate::providers::kind(kind);
    }
    if let Some(url) = &args.base_url {
        settings.base_url.clone_from(url);
    }
    if let Some(model) = &args.model {
        settings.model.clone_from(model);
    }
    let auto: HashSet<ToolKind> = args
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
    Ok(Prepared { settings, provider, auto })
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

pub fn run(data_dir: &Path, args: &AgentArgs, options: RunOptions) -> Result<(), Failure> {
    let Prepared { settings, provider, auto } = prepare(data_dir, args)?;
    let engine = open_engine(data_dir, true)?;
    crate::crash_point::arm(&engine);
    let status = runtime()?.block_on(session(engine, provider, settings, options, auto))?;
    if status == RunStatus::Success {
        Ok(())
    } else {
        Err(Failure::new(format!("the run ended {status:?}")))
    }
}

/// `coder resume [RUN]`: opening the engine ends what was under way (start-up recovery); then
/// the open runs — or only `run` — get a runner and are followed until each ends.
pub fn resume(data_dir: &Path, args: &AgentArgs, run: Option<&str>) -> Result<(), Failure> {
    let Prepared { settings, provider, auto } = prepare(data_dir, args)?;
    let run = run
        .map(|text| RunId::parse(text).map_err(|_| Failure::new(format!("{text:?} is not a run id"))))
        .transpose()?;
    let engine = open_engine(data_dir, true)?;
    crate::crash_point::arm(&engine);
    let runtime = runtime()?;
    let statuses = runtime.block_on(async {
        let agent = Agent::new(engine.clone(), provider, settings);
        eprintln!("provider: {}", agent.provider_label());
        let runs = match run {
            Some(run) => {
                agent.resume(run)?;
                vec![run]
            }
            None => agent.resume_all()?,
        };
        if runs.is_empty() {
            eprintln!("no run is waiting or was interrupted: nothing to resume");
        }
        let statuses = follow(&agent, &engine, &runs, &auto).await;
        agent.shutdown().await;
        statuses
    })?;
    engine.close();
    let unsuccessful = statuses.iter().filter(|s| **s != RunStatus::Success).count();
    if unsuccessful == 0 {
        Ok(())
    } else {
        Err(Failure::new(format!("{unsuccessful} of {} resumed runs did not succeed", statuses.len())))
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
    let run = agent.send_message(thread, &options.message).await?;
    eprintln!("run:      {run}\n");
    let statuses = follow(&agent, &engine, &[run], &auto).await?;
    Ok(statuses[0])
}

/// Shows the runs as they go — streamed text, tool calls and results — and asks for (or gives,
/// per `auto`) each approval, until every run has ended. Returns their statuses in order.
async fn follow(
    agent: &Agent,
    engine: &Engine,
    runs: &[RunId],
    auto: &HashSet<ToolKind>,
) -> Result<Vec<RunStatus>, Failure> {
    let mut live = agent.live();
    let mut changes = engine.subscribe();
    let mut shown = Shown::default();
    let mut speaking: Option<coder_domain::MessageId> = None;
    let mut ended: BTreeMap<RunId, RunStatus> = BTreeMap::new();
    while ended.len() < runs.len() {
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
                Ok(LiveEvent::ToolOutput { run_id, line, .. }) if runs.contains(&run_id) => eprintln!("    │ {line}"),
                _ => {}
            },
            _ = changes.recv() => {}
            _ = tokio::time::sleep(std::time::Duration::from_millis(500)) => {}
        }
        for &run in runs {
            if ended.contains_key(&run) {
                continue;
            }
            shown.print_progress(engine, run);
            if let Some((step, tool_name, kind, input)) = waiting_step(engine, run, &shown) {
                shown.asked.insert(step);
                decide(agent, engine, run, step, &tool_name, kind, &input, auto).await?;
            }
            let status = engine.with_state(|s| s.runs.get(&run).map(|r| r.status));
            if let Some(status) = status.filter(|s| s.is_final()) {
                agent.wait(run).await;
                shown.print_progress(engine, run);
                print_ended(engine, run, status)?;
                ended.insert(run, status);
            }
        }
    }
    Ok(runs.iter().map(|r| ended[r]).collect())
}

/// The closing line of a run: status, duration, tokens, cost and why it ended.
fn print_ended(engine: &Engine, run: RunId, status: RunStatus) -> Result<(), Failure> {
    let view = engine.run_view(run)?;
    let run_entity = view.run.as_ref().expect("a finished run exists");
    let reason = engine
        .store()
        .read_stream(coder_domain::StreamId::Run(run), 1)?
        .last()
        .and_then(|e| e.metadata.get(coder_agent::META_REASON).cloned());
    println!();
    eprintln!(
        "\nrun {run} {status:?} in {} ms · {} tokens in, {} out · ${:.2}{}",
        run_entity.duration_ms.unwrap_or(0),
        run_entity.cost.input_tokens,
        run_entity.cost.output_tokens,
        f64::from(run_entity.cost.usd_cents) / 100.0,
        reason.map(|r| format!(" · {r}")).unwrap_or_default()
    );
    Ok(())
}

/// The project whose folder is `dir`, created if Coder does not know it yet.
async fn ensure_project(engine: &Engine, dir: &Path) -> Result<ProjectId, Failure> {
    coder_agent::projects::add(engine, dir).await.map_err(|e| Failure::new(e.to_string()))
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
        let step = run.waiting_steps().find(|st| !shown.asked.contains(&st.id))?;
        let tool = s.tool_uses.get(&step.tool_use_id()?)?;
        let kind = tools.get(&tool.tool_name).map(|t| t.kind());
        Some((step.id, tool.tool_name.clone(), kind, tool.input.clone()))
    })
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    agent: &Agent,
    engine: &Engine,
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
    let offered = crate::rules::offer(engine, run, tool, input);
    match &offered {
        Some(s) => eprint!("  Approve? [y]es / [n]o / [a]lways allow `{}` in this project: ", s.label),
        None => eprint!("  Approve? [y]es / [n]o: "),
    }
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
        "a" | "always" if offered.is_some() => {
            if let Some(offered) = &offered {
                crate::rules::always_allow(engine, run, &offered.rule).await?;
            }
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
