use coder_agent::testing::ScriptServer;
use coder_domain::*;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_waiting_for_approval_survives_a_restart_and_continues() {
    let w = World::new().await;
    let first = ScriptServer::openai([call(
        "Writing.",
        "write_file",
        json!({"path": "out.txt", "content": "hello\n"}),
    )])
    .unwrap();
    let agent = w.agent(&first);
    let run = agent.send_message(w.thread, "Write out.txt").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    let step = waiting_step(&waiting_run);
    // The app quits while the run waits.
    let w = w.restart(agent).await;
    assert_eq!(
        w.engine.run_view(run).unwrap().run.unwrap().status,
        RunStatus::WaitingForApproval,
        "still waiting"
    );
    let second = ScriptServer::openai([answer(&["Wrote it."])]).unwrap();
    let agent = w.agent(&second);
    assert_eq!(agent.resume_all().unwrap(), vec![run], "the waiting run gets a runner again");
    agent.approve(run, step, Approver::Person).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    assert_eq!(w.file("out.txt").unwrap(), "hello\n", "the approved write happened after the restart");
    // The conversation was rebuilt from events: the model saw the question, its call and the result.
    let request = second.requests()[0].json().unwrap();
    let messages = request["messages"].as_array().unwrap();
    assert!(messages.iter().any(|m| m["role"] == "user" && m["content"] == "Write out.txt"));
    assert!(messages
        .iter()
        .any(|m| m["role"] == "assistant" && m["tool_calls"][0]["function"]["name"] == "write_file"));
    assert_eq!(tool_results(&request).len(), 1);
}
