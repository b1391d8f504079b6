//! "Continue": a run stopped at its turn limit, with the model still working, is marked so, and
//! a new run in the same thread goes on from where it stopped; no other run can be continued.

use coder_agent::testing::ScriptServer;
use coder_agent::{Agent, Settings};
use coder_domain::*;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stopped_at_its_turn_limit_goes_on_in_a_new_run() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Reading.", "read_file", json!({"path": "README.md"})),
        call("Reading more.", "read_file", json!({"path": "src/lib.rs"})),
        answer(&["It returns 41."]),
    ])
    .unwrap();
    let settings = Settings { prices: prices(), max_turns: 2, ..Settings::default() };
    let agent = Agent::new(w.engine.clone(), openai(&server), settings);
    let first = agent.send_message(w.thread, "What does answer() return?").await.unwrap();
    let stopped = finished(&w.engine, first).await;
    assert_eq!(stopped.status, RunStatus::Failed);
    let view = w.engine.run_view(first).unwrap();
    assert!(view.stopped_at_turn_limit, "the run is marked as stopped at its turn limit");
    assert!(
        view.end_reason.as_deref().is_some_and(|r| r.contains("2 calls without finishing")),
        "{:?}",
        view.end_reason
    );

    let next = agent.continue_run(first).await.unwrap();
    assert_ne!(next, first);
    let done = finished(&w.engine, next).await;
    assert_eq!(done.status, RunStatus::Success, "{done:?}");
    assert_eq!(done.thread_id, w.thread, "the new run is in the same thread");
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let results = tool_results(&requests[2].json().unwrap());
    assert_eq!(results.len(), 2, "the continued run sends both tool results of the first: {results:?}");
    assert_eq!(replies(&w.engine, w.thread).last().map(String::as_str), Some("It returns 41."));

    // The stopped run has been continued: a second "Continue" would fork the thread.
    let e = agent.continue_run(first).await.unwrap_err();
    assert_eq!(e.code(), "illegal_transition", "{e}");
    // A run that finished is not continued either.
    let e = agent.continue_run(next).await.unwrap_err();
    assert_eq!(e.code(), "illegal_transition", "{e}");
    let e = agent.continue_run(RunId::new()).await.unwrap_err();
    assert_eq!(e.code(), "not_found", "{e}");
    assert!(!w.engine.run_view(next).unwrap().stopped_at_turn_limit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_continues_at_once_start_one_run() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Reading.", "read_file", json!({"path": "README.md"})),
        answer(&["Done."]),
    ])
    .unwrap();
    let settings = Settings { prices: prices(), max_turns: 1, ..Settings::default() };
    let agent = Agent::new(w.engine.clone(), openai(&server), settings);
    let first = agent.send_message(w.thread, "Read the README").await.unwrap();
    finished(&w.engine, first).await;
    // A double click: both calls are under way at once.
    let (a, b) = tokio::join!(agent.continue_run(first), agent.continue_run(first));
    let started: Vec<RunId> = [a, b].into_iter().filter_map(Result::ok).collect();
    assert_eq!(started.len(), 1, "exactly one new run");
    finished(&w.engine, started[0]).await;
    let runs = w.engine.with_state(|s| s.runs.values().filter(|r| r.thread_id == w.thread).count());
    assert_eq!(runs, 2, "the first run and the one that continued it");
}
