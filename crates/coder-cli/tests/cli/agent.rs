//! `coder run`, `coder diff` and `coder revert` against the loopback script server.

use coder_agent::provider::{ModelEvent, StopReason, ToolCall, Usage};
use coder_agent::testing::{ScriptServer, Turn};
use serde_json::json;
use tempfile::TempDir;

use crate::{stderr, stdout};

fn coder_async(dir: &std::path::Path, args: Vec<String>) -> tokio::task::JoinHandle<std::process::Output> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::coder(&dir, &refs)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_diff_and_revert_from_the_command_line() {
    let project = TempDir::new().unwrap();
    std::fs::write(project.path().join("hello.txt"), "hello\n").unwrap();
    let data = TempDir::new().unwrap();
    let server = ScriptServer::openai([
        Turn::reply(vec![
            ModelEvent::TextDelta("I'll update the greeting.".into()),
            ModelEvent::ToolCall(ToolCall {
                id: "c1".into(),
                name: "write_file".into(),
                input: json!({"path": "hello.txt", "content": "hello, world\n"}),
            }),
            ModelEvent::Usage(Usage::new(1000, 100)),
            ModelEvent::Stop(StopReason::ToolUse),
        ]),
        Turn::reply(vec![
            ModelEvent::TextDelta("Done: hello.txt now greets the world.".into()),
            ModelEvent::Usage(Usage::new(1200, 50)),
            ModelEvent::Stop(StopReason::EndTurn),
        ]),
    ])
    .unwrap();
    let args: Vec<String> = [
        "run",
        "--project",
        project.path().to_str().unwrap(),
        "--provider",
        "openai",
        "--base-url",
        &server.base_url(),
        "--model",
        "scripted",
        "--approve",
        "write",
        "Greet the world",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = coder_async(data.path(), args).await.unwrap();
    assert!(out.status.success(), "coder run succeeds: {}", stderr(&out));
    assert!(
        stdout(&out).contains("Done: hello.txt now greets the world."),
        "the answer is streamed: {}",
        stdout(&out)
    );
    assert!(stderr(&out).contains("approved by --approve write"), "the approval is shown: {}", stderr(&out));
    assert_eq!(std::fs::read_to_string(project.path().join("hello.txt")).unwrap(), "hello, world\n");
    let run = stderr(&out)
        .lines()
        .find_map(|l| l.strip_prefix("run:").map(|r| r.trim().to_string()))
        .expect("the run id is printed");

    let diff = coder_async(data.path(), vec!["diff".into(), run.clone()]).await.unwrap();
    assert!(diff.status.success(), "{}", stderr(&diff));
    assert!(stdout(&diff).contains("-hello\n+hello, world"), "{}", stdout(&diff));

    let revert = coder_async(data.path(), vec!["revert".into(), run.clone()]).await.unwrap();
    assert!(revert.status.success(), "{}", stderr(&revert));
    assert_eq!(std::fs::read_to_string(project.path().join("hello.txt")).unwrap(), "hello\n", "reverted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_run_exits_non_zero_with_the_reason() {
    let project = TempDir::new().unwrap();
    let data = TempDir::new().unwrap();
    let server = ScriptServer::openai([Turn::fault(coder_agent::testing::Fault::Status(
        503,
        r#"{"error":{"message":"no capacity"}}"#.into(),
    ))])
    .unwrap();
    let args: Vec<String> = [
        "run",
        "--project",
        project.path().to_str().unwrap(),
        "--provider",
        "openai",
        "--base-url",
        &server.base_url(),
        "Hi",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = coder_async(data.path(), args).await.unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed run exits 1");
    assert!(stderr(&out).contains("no capacity"), "and says why: {}", stderr(&out));
}
