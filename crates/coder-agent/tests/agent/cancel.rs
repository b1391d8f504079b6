use std::time::Duration;

use coder_agent::testing::{Fault, ScriptServer, Turn};
use coder_domain::*;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_stream_keeps_the_text_and_cancels_the_run() {
    let w = World::new().await;
    let server =
        ScriptServer::openai([Turn::faulty(text(&["Thinking ", "about ", "it"]), Fault::Stall)]).unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Take your time").await.unwrap();
    // Wait until the streamed text is stored, then cancel.
    for _ in 0..200 {
        let streamed = w.engine.with_state(|s| s.messages.values().any(|m| m.content == "Thinking about it"));
        if streamed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    agent.cancel_run(run).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Cancelled);
    let view = w.engine.chat_view(w.thread).unwrap();
    let reply = view
        .entries
        .iter()
        .find_map(|e| match e {
            ChatEntry::Message(m) if m.role == Role::Assistant => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(reply.content, "Thinking about it", "the text streamed before the cancel is kept");
    assert!(reply.interrupted && !reply.streaming);
}

fn processes_with(marker: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(marker))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_mid_command_kills_it_and_leaves_no_process() {
    let w = World::new().await;
    let marker = format!("300.{}", std::process::id());
    let command = format!("sleep {marker} & sleep {marker} & wait");
    let server =
        ScriptServer::openai([call("Waiting.", "run_command", json!({"command": command}))]).unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Wait a long time").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    for _ in 0..200 {
        if processes_with(&marker) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(processes_with(&marker) >= 2, "the command is running");
    agent.cancel_run(run).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Cancelled);
    let tool = w.engine.with_state(|s| s.tool_uses.values().find(|t| t.run_id == run).cloned()).unwrap();
    assert_eq!(tool.status, ToolStatus::Cancelled);
    for _ in 0..200 {
        if processes_with(&marker) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(processes_with(&marker), 0, "no orphan process is left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_one_tool_use_tells_the_model_and_the_run_goes_on() {
    let w = World::new().await;
    let marker = format!("301.{}", std::process::id());
    let server = ScriptServer::openai([
        call("Waiting.", "run_command", json!({"command": format!("sleep {marker}")})),
        answer(&["OK, stopped."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Wait").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    for _ in 0..200 {
        if processes_with(&marker) >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let tool = w.engine.with_state(|s| s.tool_uses.values().find(|t| t.run_id == run).map(|t| t.id)).unwrap();
    agent.cancel_tool(tool).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success, "the run goes on after one tool is cancelled");
    let results = tool_results(&server.requests()[1].json().unwrap());
    assert!(results[0].contains("cancelled"), "{results:?}");
}
