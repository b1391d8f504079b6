//! A tool's effect happens at most once: not again after a restart, and not twice when the
//! settings change under a waiting run.

use coder_agent::provider::{ModelEvent, StopReason, ToolCall};
use coder_agent::testing::{ScriptServer, Turn};
use coder_domain::*;
use serde_json::json;

use crate::support::*;

/// A turn that calls several tools at once.
fn calls(tools: &[(&str, serde_json::Value)]) -> Turn {
    let mut events: Vec<ModelEvent> = tools
        .iter()
        .enumerate()
        .map(|(i, (name, input))| {
            ModelEvent::ToolCall(ToolCall {
                id: format!("call_{i}"),
                name: (*name).into(),
                input: input.clone(),
            })
        })
        .collect();
    events.push(usage(100, 10));
    events.push(ModelEvent::Stop(StopReason::ToolUse));
    Turn::reply(events)
}

fn lines(w: &World, path: &str) -> usize {
    w.file(path).map_or(0, |text| text.lines().count())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_command_under_way_at_a_restart_is_not_run_again() {
    let w = World::new().await;
    let first = ScriptServer::openai([calls(&[
        ("run_command", json!({"command": "echo ran >> count.txt; sleep 30"})),
        ("write_file", json!({"path": "after.txt", "content": "after\n"})),
    ])])
    .unwrap();
    let agent = w.agent(&first);
    let run = agent.send_message(w.thread, "Count, then write").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    let command_step = waiting_step(&waiting_run);
    agent.approve(run, command_step, Approver::Person).await.unwrap();
    // The command is under way (its first line is written) while the write still waits.
    for _ in 0..200 {
        if lines(&w, "count.txt") == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(lines(&w, "count.txt"), 1, "the approved command started");
    // Coder quits while the command runs.
    let w = w.restart(agent).await;
    let second = ScriptServer::openai([answer(&["Done."])]).unwrap();
    let agent = w.agent(&second);
    assert_eq!(agent.resume_all().unwrap(), vec![run], "the open run gets a runner again");
    let run_now = waiting(&w.engine, run).await;
    let command_tool = run_now.steps[1].tool_use_id().unwrap();
    let tool = w.engine.run_view(run).unwrap().tool_use(command_tool).unwrap().clone();
    assert_eq!(tool.status, ToolStatus::Failed, "the command under way at the restart failed");
    assert!(tool.error.as_deref().unwrap_or_default().starts_with("interrupted by a restart"), "{tool:?}");
    let write_step = waiting_step(&run_now);
    agent.approve(run, write_step, Approver::Person).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    assert_eq!(lines(&w, "count.txt"), 1, "the approved command ran once, not again after the restart");
    assert_eq!(w.file("after.txt").unwrap(), "after\n", "the write approved after the restart happened");
    let results = tool_results(&second.requests()[0].json().unwrap());
    assert_eq!(results.len(), 2, "the model got both results");
    assert!(
        results.iter().any(|r| r.contains("interrupted by a restart")),
        "the model was told the command was interrupted: {results:?}"
    );
    agent.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_settings_under_a_waiting_run_keep_one_runner() {
    let w = World::new().await;
    let first =
        ScriptServer::openai([calls(&[("run_command", json!({"command": "echo ran >> count.txt"}))])])
            .unwrap();
    let agent = w.agent(&first);
    let run = agent.send_message(w.thread, "Count").await.unwrap();
    let step = waiting_step(&waiting(&w.engine, run).await);
    // The person saves settings while the run waits: the agent takes the new provider, and a
    // second agent made on the same engine (as a settings change once did) shares its runners.
    let second = ScriptServer::openai([answer(&["Counted."])]).unwrap();
    agent.reconfigure(openai(&second), coder_agent::Settings { prices: prices(), ..Default::default() });
    let other = agent_for(&w.engine, openai(&second));
    other.approve(run, step, Approver::Person).await.unwrap();
    agent.approve(run, step, Approver::Person).await.expect_err("one approval per step");
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    agent.wait(run).await;
    assert_eq!(lines(&w, "count.txt"), 1, "one approval ran the command once");
    assert_eq!(first.requests().len(), 1, "the old provider is not asked again");
    assert_eq!(second.requests().len(), 1, "the next model call used the new settings");
    agent.shutdown().await;
}

/// Without start-up recovery (a read-only store, a store opened without it, a recovery that
/// failed), a tool use left `Running` may have run already: no runner starts, and the agent says
/// why instead of running it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_run_is_carried_on_without_start_up_recovery() {
    let w = World::new().await;
    let server =
        ScriptServer::openai([calls(&[("run_command", json!({"command": "echo ran >> count.txt"}))])])
            .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Count").await.unwrap();
    let step = waiting_step(&waiting(&w.engine, run).await);
    agent.shutdown().await;
    drop(agent);
    let World { project_dir, data_dir, engine, project, thread } = w;
    engine.close();
    let config = coder_engine::EngineConfig { recover: false, ..Default::default() };
    let engine = coder_engine::Engine::open_with(data_dir.path(), config).unwrap();
    let w = World { project_dir, data_dir, engine, project, thread };
    let agent = w.agent(&server);
    let refused = agent.resume_all().expect_err("no runner without recovery");
    assert_eq!(refused.code(), "recovery_failed", "{refused}");
    let refused = agent.approve(run, step, Approver::Person).await.expect_err("nor through an approval");
    assert!(refused.to_string().contains("without start-up recovery"), "{refused}");
    assert!(w.file("count.txt").is_none(), "nothing ran");
    assert_eq!(
        w.engine.with_state(|s| s.runs[&run].status),
        RunStatus::WaitingForApproval,
        "nothing recorded"
    );
}
