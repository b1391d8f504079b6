//! The crash matrix: a run with read, edit, command and write steps is killed with SIGKILL right
//! after each of its events in turn (`CODER_CRASH_AFTER_EVENT`), then `coder resume` carries it
//! on, approving what waits. After every kill: each tool's effect happened at most once, every
//! acknowledged event is in the store, `coder verify` is clean, and the run ends.
//!
//! The model is a loopback server that answers from the conversation, not from a fixed order,
//! so a model call that is asked again after a restart gets the answer for where the run stands:
//! it counts the tool results the conversation already holds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use coder_domain::{RunStatus, ToolStatus};
use coder_engine::{Engine, EngineConfig};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::{coder, stderr};

/// Fewer kill points than this means the run was shorter than the matrix is meant to cover.
const MIN_POINTS: u64 = 30;
/// A run of this script records far fewer events; past it the loop has lost its way.
const MAX_POINTS: u64 = 200;
/// `coder resume` ends this short run in a second or two; a run that has not ended by then
/// hangs, and the test says so instead of waiting forever.
const RESUME_DEADLINE: Duration = Duration::from_secs(60);

/// The model: what it answers after `done` tool results. Command lines carry the request's
/// number, so a line written twice is a command executed twice.
fn answer(done: usize, request: u64) -> (String, Option<(&'static str, Value)>) {
    match done {
        0 => ("Reading the readme.".into(), Some(("read_file", json!({"path": "README.md"})))),
        1 => (
            "Editing it.".into(),
            Some((
                "edit_file",
                json!({"path": "README.md", "old_text": "A sample project.", "new_text": "An edited project."}),
            )),
        ),
        2 => (
            "Counting.".into(),
            Some(("run_command", json!({"command": format!("echo ran-{request} >> count.txt")}))),
        ),
        3 => (
            "Writing notes.".into(),
            Some(("write_file", json!({"path": "notes.txt", "content": "notes\n"}))),
        ),
        _ => ("All done.".into(), None),
    }
}

/// The OpenAI chat-completions stream for one answer.
fn stream(text: &str, call: Option<(&str, Value)>, request: u64) -> String {
    let chunk = |delta: Value, finish: Option<&str>| {
        let body = json!({"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        format!("data: {body}\n\n")
    };
    let mut out = chunk(json!({"role": "assistant", "content": text}), None);
    let finish = match call {
        Some((name, input)) => {
            let call = json!({"index": 0, "id": format!("call_{request}"), "type": "function",
                "function": {"name": name, "arguments": input.to_string()}});
            out.push_str(&chunk(json!({"tool_calls": [call]}), None));
            "tool_calls"
        }
        None => "stop",
    };
    out.push_str(&chunk(json!({}), Some(finish)));
    out.push_str("data: [DONE]\n\n");
    out
}

/// Tool results after the conversation's last user message.
fn results_so_far(request: &Value) -> usize {
    let messages = request["messages"].as_array().cloned().unwrap_or_default();
    let last_user = messages.iter().rposition(|m| m["role"] == "user").unwrap_or(0);
    messages[last_user..].iter().filter(|m| m["role"] == "tool").count()
}

/// A loopback model server on its own thread; it stops with the test process.
fn model_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let requests = requests.clone();
            std::thread::spawn(move || serve(stream, &requests));
        }
    });
    format!("http://{address}/v1")
}

fn serve(socket: TcpStream, requests: &AtomicU64) {
    let mut reader = BufReader::new(socket.try_clone().unwrap());
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let number = requests.fetch_add(1, Ordering::SeqCst);
    let (text, call) = answer(results_so_far(&request), number);
    let body = stream(&text, call, number);
    let mut socket = socket;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = socket.write_all(head.as_bytes());
    let _ = socket.write_all(body.as_bytes());
}

fn agent_args(base_url: &str) -> Vec<String> {
    ["--provider", "openai", "--base-url", base_url, "--model", "m", "--approve", "read,write,command"]
        .into_iter()
        .map(String::from)
        .collect()
}

/// What one kill point left behind, checked on the store after `coder resume`.
struct Outcome {
    killed: bool,
}

fn one_point(base_url: &str, point: u64) -> Outcome {
    let project = TempDir::new().unwrap();
    std::fs::write(project.path().join("README.md"), "# Sample\nA sample project.\n").unwrap();
    let data = TempDir::new().unwrap();
    let mut run = vec!["run".to_string(), "--project".into(), project.path().to_string_lossy().into_owned()];
    run.extend(agent_args(base_url));
    run.push("Read, edit, count and write".into());
    let first = within(
        crate::coder_command()
            .arg("--data-dir")
            .arg(data.path())
            .args(&run)
            .env(coder_crash_variable(), point.to_string()),
        RESUME_DEADLINE,
    );
    let killed = std::os::unix::process::ExitStatusExt::signal(&first.status) == Some(9);
    assert!(
        killed || first.status.success(),
        "point {point}: coder run either dies at the point or succeeds: {}",
        stderr(&first)
    );
    let acknowledged = point.min(last_sequence(data.path()));
    let mut resume = vec!["resume".to_string()];
    resume.extend(agent_args(base_url));
    let resumed =
        within(crate::coder_command().arg("--data-dir").arg(data.path()).args(&resume), RESUME_DEADLINE);
    assert!(
        resumed.status.success(),
        "point {point}: coder resume ends every run well: {}",
        stderr(&resumed)
    );
    let verify = coder(data.path(), &["verify"]);
    assert!(verify.status.success(), "point {point}: the store verifies: {}", stderr(&verify));
    check_effects(project.path(), data.path(), point, acknowledged);
    Outcome { killed }
}

/// Runs the command to completion, killing it (and failing the test) past `deadline`.
fn within(command: &mut Command, deadline: Duration) -> Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the coder binary runs");
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let output = child.wait_with_output();
        let _ = done_tx.send(());
        output
    });
    if done_rx.recv_timeout(deadline).is_err() {
        let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        let output = waiter.join().unwrap().unwrap();
        panic!("coder did not finish within {deadline:?}; its output:\n{}", stderr(&output));
    }
    waiter.join().unwrap().unwrap()
}

fn coder_crash_variable() -> &'static str {
    "CODER_CRASH_AFTER_EVENT"
}

fn last_sequence(data: &Path) -> u64 {
    let engine = Engine::open_with(data, EngineConfig { recover: false, ..EngineConfig::default() }).unwrap();
    let last = engine.store().last_sequence();
    engine.close();
    last
}

fn check_effects(project: &Path, data: &Path, point: u64, acknowledged: u64) {
    let count = std::fs::read_to_string(project.join("count.txt")).unwrap_or_default();
    let mut lines: Vec<&str> = count.lines().collect();
    let all = lines.len();
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(lines.len(), all, "point {point}: no command ran twice: {count:?}");
    let readme = std::fs::read_to_string(project.join("README.md")).unwrap();
    assert!(readme.matches("An edited project.").count() <= 1, "point {point}: {readme:?}");

    let engine = Engine::open_with(data, EngineConfig { recover: false, ..EngineConfig::default() }).unwrap();
    assert!(
        engine.store().last_sequence() >= acknowledged,
        "point {point}: every event acknowledged before the kill is stored"
    );
    engine.wait_until_ready();
    let (runs, tools) = engine.with_state(|s| {
        (
            s.runs.values().map(|r| r.status).collect::<Vec<_>>(),
            s.tool_uses
                .values()
                .map(|t| (t.tool_name.clone(), t.status, t.error.clone()))
                .collect::<Vec<_>>(),
        )
    });
    assert!(runs.iter().all(|s| *s == RunStatus::Success), "point {point}: the run ended well: {runs:?}");
    for (name, status, error) in &tools {
        let error = error.clone().unwrap_or_default();
        assert!(
            !error.contains("was not found"),
            "point {point}: an edit that had happened was not made again ({name}: {error})"
        );
        assert!(status.is_final(), "point {point}: {name} ended");
    }
    let succeeded =
        |tool: &str| tools.iter().filter(|(n, s, _)| n == tool && *s == ToolStatus::Success).count();
    assert!(succeeded("run_command") <= 1 && succeeded("edit_file") <= 1, "point {point}: {tools:?}");
    engine.close();
}

#[test]
#[cfg_attr(
    not(feature = "fault-injection"),
    ignore = "needs the fault-injection feature (make test turns it on)"
)]
fn every_tool_effect_happens_at_most_once_whatever_event_the_process_dies_after() {
    let base_url = model_server();
    let mut points = 0;
    let first_point = std::env::var("CODER_CRASH_MATRIX_FROM").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
    for point in first_point..=MAX_POINTS {
        let outcome = one_point(&base_url, point);
        if !outcome.killed {
            break;
        }
        points += 1;
    }
    eprintln!("crash matrix: {points} kill points survived, 0 double executions");
    assert!(points >= MIN_POINTS, "the run has {points} events; the matrix needs at least {MIN_POINTS}");
    assert!(points < MAX_POINTS, "the run kept dying: the point never passed its last event");
}

/// A log whose run had an approved command under way, and whose project always allows commands,
/// is exported and imported elsewhere: nothing runs because it arrived — not at import, not at
/// `coder resume` — and the run ends as imported. The import records how far it reached in its
/// own transaction, so there is no moment at which a crash could leave the run to be carried on.
#[test]
fn an_imported_log_runs_nothing() {
    use coder_domain::{
        ApprovalGate, Command as C, MessageId, ProjectId, RunId, StepId, StepType, ThreadId, ToolUseId,
    };

    let project = TempDir::new().unwrap();
    let source = TempDir::new().unwrap();
    let engine =
        Engine::open_with(source.path(), EngineConfig { recover: false, ..EngineConfig::default() }).unwrap();
    let (project_id, thread_id, run_id) = (ProjectId::new(), ThreadId::new(), RunId::new());
    let (reply, step_id, tool_use_id) = (MessageId::new(), StepId::new(), ToolUseId::new());
    let path = project.path().canonicalize().unwrap().to_string_lossy().into_owned();
    let commands = [
        C::CreateProject { project_id, name: "p".into(), path },
        C::CreateThread { thread_id, title: "t".into(), project_id: Some(project_id) },
        C::StartRun { run_id, thread_id, agent_name: "coder".into() },
        C::StartAssistantMessage { thread_id, message_id: reply },
        C::StartStep {
            run_id,
            step_id,
            step_type: StepType::ToolCall {
                tool_use_id,
                tool_name: "run_command".into(),
                gate: ApprovalGate::PreApproved { policy: "always allow run_command in this project".into() },
            },
            description: "Run it".into(),
        },
        C::StartToolUse {
            tool_use_id,
            run_id,
            message_id: reply,
            tool_name: "run_command".into(),
            input: json!({"command": "echo ran >> count.txt"}),
        },
    ];
    for command in commands {
        engine.dispatch_blocking(command).unwrap();
    }
    engine.close();
    let export = source.path().join("log.jsonl");
    let out = coder(source.path(), &["export", "--out", export.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let target = TempDir::new().unwrap();
    let out = coder(target.path(), &["import", export.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let base_url = model_server();
    let mut resume = vec!["resume".to_string()];
    resume.extend(agent_args(&base_url));
    let refs: Vec<&str> = resume.iter().map(String::as_str).collect();
    let out = coder(target.path(), &refs);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("nothing to resume"), "{}", stderr(&out));
    assert!(!project.path().join("count.txt").exists(), "the imported command never ran");
    let engine = Engine::open_with(target.path(), EngineConfig::default()).unwrap();
    let run = engine.run_view(run_id).unwrap();
    let run = run.run.unwrap();
    assert_eq!(run.status, RunStatus::Failed, "the imported run ended");
    engine.close();
}
