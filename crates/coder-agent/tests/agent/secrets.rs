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
