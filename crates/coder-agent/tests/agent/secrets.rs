use std::sync::Arc;

use coder_agent::provider::{OpenAiConfig, OpenAiProvider};
use coder_agent::testing::ScriptServer;
use coder_domain::*;

use crate::support::*;

const KEY: &str = "sk-test-do-not-store-7c1e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_key_never_reaches_the_store_or_an_export() {
    let w = World::new().await;
    let server = ScriptServer::openai([answer(&["Hi."])]).unwrap();
    let mut config = OpenAiConfig::new(server.base_url(), "m");
    config.api_key = Some(KEY.into());
    let agent = agent_for(&w.engine, Arc::new(OpenAiProvider::new(config).unwrap()));
    let run = agent.send_message(w.thread, "Hello").await.unwrap();
    assert_eq!(finished(&w.engine, run).await.status, RunStatus::Success);
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str()),
        "the key was used"
    );
    let mut export = Vec::new();
    coder_store::export(w.engine.store(), &mut export, &mut |_, _| {}).unwrap();
    assert!(!String::from_utf8_lossy(&export).contains(KEY), "the export holds no key");
    let path = w.engine.store().path().to_path_buf();
    drop(agent);
    let World { engine, data_dir, .. } = w;
    engine.close();
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.windows(KEY.len()).any(|win| win == KEY.as_bytes()), "the store file holds no key");
    drop(data_dir);
}

/// A key in Coder's environment (where a desktop session or a shell puts `OPENAI_API_KEY`) is
/// withheld from the commands the agent runs, so it cannot reach their output, the log, an
/// export or the model. The key is given to a child process of this test binary, which runs the
/// check; this process's environment, read by other tests at the same time, stays as it is.
#[test]
fn a_key_in_coders_environment_never_reaches_a_command_or_the_log() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "secrets::a_key_in_the_environment_child", "--ignored", "--nocapture"])
        .env(VARIABLE, VALUE)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "the check failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("1 passed"), "the check ran:\n{text}");
}

const VARIABLE: &str = "CODER_TEST_AGENT_LEAK_API_KEY";
const VALUE: &str = "sk-from-the-environment-5d2a";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by a_key_in_coders_environment_never_reaches_a_command_or_the_log, with the key set"]
async fn a_key_in_the_environment_child() {
    assert_eq!(std::env::var(VARIABLE).as_deref(), Ok(VALUE), "the parent set the key");
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Looking.", "run_command", serde_json::json!({"command": format!("env; printenv {VARIABLE}")})),
        answer(&["Nothing secret here."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Print the environment").await.unwrap();
    let step = waiting_step(&waiting(&w.engine, run).await);
    agent.approve(run, step, Approver::Person).await.unwrap();
    assert_eq!(finished(&w.engine, run).await.status, RunStatus::Success);
    let results = tool_results(&server.requests()[1].json().unwrap());
    assert!(results[0].contains("PATH="), "the command ran and printed its environment: {results:?}");
    assert!(!results[0].contains(VALUE), "the model was not sent the key: {results:?}");
    let mut export = Vec::new();
    coder_store::export(w.engine.store(), &mut export, &mut |_, _| {}).unwrap();
    assert!(!String::from_utf8_lossy(&export).contains(VALUE), "no event or export holds the key");
}
