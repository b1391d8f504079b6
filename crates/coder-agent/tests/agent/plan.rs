//! `update_plan` in a real run: it runs at once, a refused plan tells the model why, and the
//! run view's plan is the input of the latest completed call with the steps under its items.

use coder_agent::testing::ScriptServer;
use coder_domain::*;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_of_a_run_is_its_latest_accepted_update_plan() {
    let w = World::new().await;
    let first = json!({"items": [
        {"title": "Read lib.rs", "status": "in_progress"},
        {"title": "Answer", "status": "pending"},
    ]});
    let two_at_once = json!({"items": [
        {"title": "Read lib.rs", "status": "in_progress"},
        {"title": "Answer", "status": "in_progress"},
    ]});
    let second = json!({"items": [
        {"title": "Read lib.rs", "status": "done"},
        {"title": "Answer", "status": "in_progress"},
    ], "note": "read it"});
    let server = ScriptServer::openai([
        call("Planning.", "update_plan", first),
        call("Reading.", "read_file", json!({"path": "src/lib.rs"})),
        call("Moving on.", "update_plan", two_at_once),
        call("Moving on.", "update_plan", second),
        answer(&["It returns 41."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "What does answer() return?").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success, "a plan needs no approval: {done:?}");

    let requests = server.requests();
    assert_eq!(requests.len(), 5);
    let confirmed = tool_results(&requests[1].json().unwrap());
    assert_eq!(confirmed, ["Plan updated: 0 of 2 done; in progress: Read lib.rs."]);
    let refused = tool_results(&requests[3].json().unwrap());
    assert!(
        refused[2].contains("items 1 and 2 are both in progress"),
        "the model is told why its plan was refused: {refused:?}"
    );

    let view = w.engine.run_view(run).unwrap();
    let plan = view.plan.as_ref().expect("the run has a plan");
    let statuses: Vec<_> = plan.items.iter().map(|i| (i.title.as_str(), i.status)).collect();
    assert_eq!(
        statuses,
        [("Read lib.rs", PlanStatus::Done), ("Answer", PlanStatus::InProgress)],
        "the refused call did not replace the plan; the last accepted one did"
    );
    assert_eq!(plan.note.as_deref(), Some("read it"));
    let steps = &view.run.as_ref().unwrap().steps;
    let placed: Vec<_> = steps.iter().map(|s| (s.description.as_str(), view.plan_item_of(s.id))).collect();
    assert_eq!(placed.len(), 9, "five model calls and four tool calls: {placed:?}");
    assert_eq!(&placed[..2], [(placed[0].0, None), ("Update the plan", None)], "before the plan");
    assert_eq!(placed[3], ("Read src/lib.rs", Some(0)), "reading sits under the item being read");
    assert_eq!(placed[8].1, Some(1), "the answer sits under the item in progress then");
}
