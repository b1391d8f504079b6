use std::sync::Arc;
use std::time::Duration;

use coder_agent::provider::{OpenAiConfig, OpenAiProvider, Timeouts};
use coder_agent::testing::{Fault, ScriptServer, Turn};
use coder_agent::META_REASON;
use coder_domain::*;

use crate::support::*;

/// Runs one turn that fails with `fault` after some text; returns the run and its stored reason.
async fn fail_with(fault: Fault) -> (World, Run, String) {
    let w = World::new().await;
    let server = ScriptServer::openai([Turn::faulty(text(&["Partial ", "answer"]), fault)]).unwrap();
    let mut config = OpenAiConfig::new(server.base_url(), "m");
    config.timeouts = Timeouts { connect: Duration::from_secs(5), idle: Duration::from_millis(500) };
    let agent = agent_for(&w.engine, Arc::new(OpenAiProvider::new(config).unwrap()));
    let run = agent.send_message(w.thread, "Answer").await.unwrap();
    let done = finished(&w.engine, run).await;
    let reason = w
        .engine
        .store()
        .read_stream(StreamId::Run(run), 1)
        .unwrap()
        .last()
        .and_then(|e| e.metadata.get(META_REASON).cloned())
        .unwrap_or_default();
    (w, done, reason)
}

fn check(w: &World, run: &Run, reason: &str, expect: &str, kept: &str) {
    assert_eq!(run.status, RunStatus::Failed);
    assert!(reason.contains(expect), "the run fails with a readable reason: {reason:?}");
    let replies = replies(&w.engine, w.thread);
    assert_eq!(replies, [kept], "every piece of text streamed before the fault is kept");
    let failed_step =
        run.steps.iter().find(|s| s.status == StepStatus::Failed).expect("the model step failed");
    assert!(matches!(&failed_step.result, Some(StepResult::Failed { error }) if error.contains(expect)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_error_fails_the_run() {
    let (w, run, reason) =
        fail_with(Fault::Status(500, r#"{"error":{"message":"model overloaded"}}"#.into())).await;
    check(&w, &run, &reason, "model overloaded", "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_keeps_the_text() {
    let (w, run, reason) = fail_with(Fault::DropAfter(2)).await;
    check(&w, &run, &reason, "connection", "Partial answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_stream_keeps_the_text() {
    let (w, run, reason) = fail_with(Fault::Malformed).await;
    check(&w, &run, &reason, "malformed", "Partial answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_stream_times_out_and_keeps_the_text() {
    let (w, run, reason) = fail_with(Fault::Stall).await;
    check(&w, &run, &reason, "did not answer", "Partial answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_fails_the_run() {
    let w = World::new().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    drop(listener);
    let agent = agent_for(&w.engine, Arc::new(OpenAiProvider::new(OpenAiConfig::new(url, "m")).unwrap()));
    let run = agent.send_message(w.thread, "Hello?").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Failed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_call_the_log_refuses_fails_the_run_instead_of_hanging() {
    use coder_agent::provider::{ModelEvent, StopReason, ToolCall};
    let w = World::new().await;
    let huge = "x".repeat(limits::TOOL_INPUT_BYTES + 10);
    let server = ScriptServer::openai([Turn::reply(vec![
        ModelEvent::ToolCall(ToolCall {
            id: "c".into(),
            name: "write_file".into(),
            input: serde_json::json!({"path": "a", "content": huge}),
        }),
        ModelEvent::Stop(StopReason::ToolUse),
    ])])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Write a lot").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Failed, "the runner's error ends the run");
    assert!(done.steps.iter().all(|s| s.status.is_final()), "no step is left open");
    let reason = w
        .engine
        .store()
        .read_stream(StreamId::Run(run), 1)
        .unwrap()
        .last()
        .unwrap()
        .metadata
        .get(META_REASON)
        .cloned();
    assert!(reason.unwrap_or_default().contains("too large"), "the reason says why");
}
