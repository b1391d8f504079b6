use coder_agent::changes;
use coder_agent::testing::ScriptServer;
use coder_domain::*;
use serde_json::json;

use crate::support::*;

const NEW: &str = "pub fn answer() -> u32 { 42 }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_write_is_recorded_diffed_and_reverted() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Fixing.", "edit_file", json!({"path": "src/lib.rs", "old_text": "41", "new_text": "42"})),
        call("Adding notes.", "write_file", json!({"path": "NOTES.md", "content": "fixed\n"})),
        answer(&["Fixed: it returns 42 now."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Make it return 42").await.unwrap();
    let first = waiting(&w.engine, run).await;
    assert_eq!(
        w.file("src/lib.rs").unwrap(),
        "pub fn answer() -> u32 { 41 }\n",
        "nothing is written before approval"
    );
    agent.approve(run, waiting_step(&first), Approver::Person).await.unwrap();
    let second = until(&w.engine, run, "waiting again", |r| {
        r.status == RunStatus::WaitingForApproval
            && r.steps.iter().filter(|s| s.decision.is_some()).count() == 1
    })
    .await;
    agent.approve(run, waiting_step(&second), Approver::Person).await.unwrap();
    assert_eq!(finished(&w.engine, run).await.status, RunStatus::Success);
    assert_eq!(w.file("src/lib.rs").unwrap(), NEW);
    assert_eq!(w.file("NOTES.md").unwrap(), "fixed\n");

    // Both changes are recorded with their contents, newest first.
    let recorded = changes::run_changes(&w.engine, run).unwrap();
    let paths: Vec<&str> = recorded.iter().map(|(_, c)| c.path.as_str()).collect();
    assert_eq!(paths, ["NOTES.md", "src/lib.rs"]);
    let edit = &recorded[1].1;
    let after = edit.change_type.after().unwrap();
    assert_eq!(
        w.engine.store().blob(after).unwrap().unwrap(),
        NEW.as_bytes(),
        "the new content is in the blob table"
    );
    let diff = changes::diff(&w.engine, edit).unwrap();
    assert!(
        diff.contains("-pub fn answer() -> u32 { 41 }") && diff.contains("+pub fn answer() -> u32 { 42 }"),
        "{diff}"
    );
    let created = changes::diff(&w.engine, &recorded[0].1).unwrap();
    assert!(created.contains("--- /dev/null") && created.contains("+fixed"), "{created}");

    // Revert the whole run: a new change each, history kept.
    let root = w.project_dir.path().canonicalize().unwrap();
    let before_revert = w.engine.project_files(w.project).unwrap().len();
    let reverted = changes::revert_run(&w.engine, run, &root, false).await.unwrap();
    assert_eq!(reverted, 2);
    assert_eq!(w.file("src/lib.rs").unwrap(), "pub fn answer() -> u32 { 41 }\n", "the file is back");
    assert_eq!(w.file("NOTES.md"), None, "the created file is gone");
    let files = w.engine.project_files(w.project).unwrap();
    assert_eq!(files.len(), before_revert + 2, "reverts are new changes; nothing was rewritten");
    let revert_events: Vec<_> = w
        .engine
        .store()
        .read_stream(StreamId::Project(w.project), 1)
        .unwrap()
        .into_iter()
        .filter(|e| e.metadata.contains_key(changes::META_REVERTS))
        .collect();
    assert_eq!(revert_events.len(), 2, "each revert names the change it undoes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revert_is_refused_when_the_file_changed_since_unless_forced() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Writing.", "write_file", json!({"path": "src/lib.rs", "content": NEW})),
        answer(&["Done."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Write").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    finished(&w.engine, run).await;
    std::fs::write(w.project_dir.path().join("src/lib.rs"), "edited by the person\n").unwrap();
    let root = w.project_dir.path().canonicalize().unwrap();
    let (_, change) = changes::run_changes(&w.engine, run).unwrap().remove(0);
    let err = changes::revert(&w.engine, w.project, &root, &change, false).await.unwrap_err();
    assert!(err.to_string().contains("changed since"), "{err}");
    assert_eq!(w.file("src/lib.rs").unwrap(), "edited by the person\n", "a refused revert touches nothing");
    changes::revert(&w.engine, w.project, &root, &change, true).await.unwrap();
    assert_eq!(w.file("src/lib.rs").unwrap(), "pub fn answer() -> u32 { 41 }\n", "forced, it reverts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_a_command_changes_are_recorded_for_its_run() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Formatting.", "run_command", json!({"command": "echo generated > gen.txt && rm README.md"})),
        answer(&["Done."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Generate").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    finished(&w.engine, run).await;
    let recorded = changes::run_changes(&w.engine, run).unwrap();
    let mut kinds: Vec<(String, bool, bool)> = recorded
        .iter()
        .map(|(_, c)| (c.path.clone(), c.change_type.before().is_some(), c.change_type.after().is_some()))
        .collect();
    kinds.sort();
    assert_eq!(kinds, [("README.md".to_string(), true, false), ("gen.txt".to_string(), false, true)]);
    let root = w.project_dir.path().canonicalize().unwrap();
    changes::revert_run(&w.engine, run, &root, false).await.unwrap();
    assert_eq!(w.file("README.md").unwrap(), "# Sample\nA sample project.\n", "a deleted file comes back");
    assert_eq!(w.file("gen.txt"), None);
}
