//! Permission rules in real runs: a rule that allows runs the command without asking and the log
//! names it; an ask rule makes even a read wait; a deny rejects at once in the rule's name and
//! the model is told; a chain with a part no rule allows waits; the "always allow" of a whole
//! tool from before rules still holds; a pre-approved write is decided again right before it
//! runs, so an earlier call of the same turn cannot redirect it through a link.

use std::collections::BTreeMap;

use coder_agent::provider::{ModelEvent, StopReason, ToolCall};
use coder_agent::rules::edit;
use coder_agent::testing::{ScriptServer, Turn};
use coder_agent::{Agent, Settings};
use coder_domain::*;
use serde_json::json;

use crate::support::*;

fn rule(effect: RuleEffect, tool: &str, pattern: &str) -> PermissionRule {
    PermissionRule { effect, tool: tool.into(), pattern: pattern.into() }
}

/// An agent whose global settings hold `global` rules.
fn agent_with(w: &World, server: &ScriptServer, global: Vec<PermissionRule>) -> Agent {
    let settings = Settings { prices: prices(), rules: global, ..Settings::default() };
    Agent::new(w.engine.clone(), openai(server), settings)
}

/// The gate of the run's only tool-call step, and its decision.
fn tool_step(run: &Run) -> (ApprovalGate, Option<ApprovalDecision>) {
    let step = run
        .steps
        .iter()
        .find_map(|s| match &s.step_type {
            StepType::ToolCall { gate, .. } => Some((gate.clone(), s.decision.clone())),
            StepType::ModelCall => None,
        })
        .expect("a tool-call step");
    step
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_rule_runs_a_matching_command_without_asking_and_says_which() {
    let w = World::new().await;
    edit::add_to_project(&w.engine, w.project, &rule(RuleEffect::Allow, "run_command", "echo rules*"))
        .await
        .unwrap();
    let server = ScriptServer::openai([
        call("Checking.", "run_command", json!({"command": "echo rules work"})),
        answer(&["It printed."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Say it").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success, "nothing waited for a person");
    let (gate, decision) = tool_step(&done);
    assert_eq!(
        gate,
        ApprovalGate::PreApproved { policy: "rule `echo rules*` (project)".into() },
        "the log names the rule that let it run"
    );
    assert_eq!(decision, None);
    let results = tool_results(&server.requests()[1].json().unwrap());
    assert!(results[0].contains("rules work"), "the command ran: {results:?}");
    assert!(
        !run_events(&w.engine, run)
            .iter()
            .any(|e| matches!(e.event, DomainEvent::RunStepUpdated { status: StepStatus::Pending, .. })),
        "the run never waited"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ask_rule_makes_even_a_read_wait_for_the_person() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Reading.", "read_file", json!({"path": "src/lib.rs"})),
        answer(&["It returns 41."]),
    ])
    .unwrap();
    let agent = agent_with(&w, &server, vec![rule(RuleEffect::Ask, "read_file", "src/**")]);
    let run = agent.send_message(w.thread, "What does it return?").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    assert_eq!(
        tool_step(&waiting_run).0,
        ApprovalGate::NeedsApproval,
        "a read-only tool waits when asked to"
    );
    assert_eq!(server.requests().len(), 1, "the file was not read before the approval");
    let reasons = w.engine.run_view(run).unwrap().step_reasons;
    assert_eq!(
        reasons.get(&waiting_step(&waiting_run)).map(String::as_str),
        Some("rule `src/**` (global)"),
        "the log names the rule that made the call wait"
    );
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    let results = tool_results(&server.requests()[1].json().unwrap());
    assert!(results[0].contains("41"), "after the approval the read ran: {results:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deny_rule_rejects_at_once_in_its_name_and_the_run_goes_on() {
    let w = World::new().await;
    // The project allows every command; the global deny still wins.
    edit::add_to_project(&w.engine, w.project, &rule(RuleEffect::Allow, "run_command", "*")).await.unwrap();
    let server = ScriptServer::openai([
        call("Cleaning up.", "run_command", json!({"command": "ls && rm -rf src"})),
        answer(&["I will not delete it then."]),
    ])
    .unwrap();
    let agent = agent_with(&w, &server, vec![rule(RuleEffect::Deny, "run_command", "rm *")]);
    let run = agent.send_message(w.thread, "Delete src").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success, "a denial does not end the run");
    assert!(w.file("src/lib.rs").is_some(), "the denied command never ran");
    let (gate, decision) = tool_step(&done);
    assert_eq!(gate, ApprovalGate::NeedsApproval, "the step is recorded as needing approval…");
    assert_eq!(
        decision,
        Some(ApprovalDecision {
            verdict: Verdict::Rejected,
            by: Approver::Policy { rule: "rule `rm *` (global)".into() },
            reason: Some("denied by rule `rm *` (global)".into()),
        }),
        "…and rejected at once in the rule's name"
    );
    let results = tool_results(&server.requests()[1].json().unwrap());
    assert!(results[0].contains("denied by rule `rm *` (global)"), "the model is told why: {results:?}");
    let batch: Vec<String> = run_events(&w.engine, run)
        .iter()
        .filter(|e| e.metadata.get("command").map(String::as_str) == Some("DenyToolCall"))
        .map(|e| e.event.type_name().to_string())
        .collect();
    assert_eq!(
        batch,
        ["RunStepStarted", "ToolUseStarted", "RunStepUpdated", "ToolUseCancelled"],
        "started and rejected in one batch, so no one could approve it in between"
    );
    let tool = done.steps.iter().find_map(|s| s.tool_use_id()).unwrap();
    let status = w.engine.with_state(|s| s.tool_uses.get(&tool).map(|t| t.status));
    assert_eq!(status, Some(ToolStatus::Cancelled), "its tool use ends with the step");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_with_a_part_no_rule_allows_waits_for_the_person() {
    let w = World::new().await;
    edit::add_to_project(&w.engine, w.project, &rule(RuleEffect::Allow, "run_command", "echo*"))
        .await
        .unwrap();
    let server = ScriptServer::openai([
        call("Two things.", "run_command", json!({"command": "echo hi && touch made-by-chain.txt"})),
        answer(&["Fine, I left it."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Do both").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    assert_eq!(tool_step(&waiting_run).0, ApprovalGate::NeedsApproval, "`touch` is allowed by no rule");
    assert!(w.file("made-by-chain.txt").is_none(), "nothing of the chain ran before the decision");
    agent.reject(run, waiting_step(&waiting_run), Approver::Person, None).await.unwrap();
    assert_eq!(finished(&w.engine, run).await.status, RunStatus::Success);
    assert!(w.file("made-by-chain.txt").is_none(), "a rejected chain never runs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn always_allow_from_before_rules_still_runs_the_tool() {
    let w = World::new().await;
    let changes = ProjectChanges {
        tool_approvals: BTreeMap::from([("write_file".to_string(), ToolApproval::AlwaysAllow)]),
        ..ProjectChanges::default()
    };
    w.engine.dispatch(Command::UpdateProject { project_id: w.project, changes }).await.unwrap();
    let server = ScriptServer::openai([
        call("Writing.", "write_file", json!({"path": "notes.md", "content": "kept\n"})),
        answer(&["Written."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Write notes").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(w.file("notes.md").as_deref(), Some("kept\n"));
    assert_eq!(
        tool_step(&done).0,
        ApprovalGate::PreApproved { policy: "always allow write_file in this project".into() },
        "named as it always was"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_added_listed_and_removed_through_the_log() {
    let w = World::new().await;
    let allow = rule(RuleEffect::Allow, "run_command", "cargo test*");
    let added = edit::add_to_project(
        &w.engine,
        w.project,
        &PermissionRule { pattern: "  cargo test* ".into(), ..allow.clone() },
    )
    .await
    .unwrap();
    assert_eq!(added, allow, "stored trimmed");
    let again = edit::add_to_project(&w.engine, w.project, &allow).await.unwrap_err();
    assert_eq!(again.code(), "rule_exists");
    let bad =
        edit::add_to_project(&w.engine, w.project, &rule(RuleEffect::Allow, "write_file", "src/[")).await;
    assert_eq!(bad.unwrap_err().code(), "rule_pattern_invalid");
    let mut settings = Settings::default();
    edit::add_global(&mut settings, &rule(RuleEffect::Deny, "*", ".env")).unwrap();
    let listed = edit::list(&w.engine, Some(w.project), &settings).unwrap();
    let shown: Vec<(String, bool)> =
        listed.iter().map(|l| (format!("{} {}", l.scope, edit::show(&l.rule)), l.always_allow)).collect();
    assert_eq!(
        shown,
        [("project allow run_command `cargo test*`".into(), false), ("global deny * `.env`".into(), false)]
    );
    edit::remove_from_project(&w.engine, w.project, &allow).await.unwrap();
    assert!(w.engine.with_state(|s| s.projects[&w.project].rules.is_empty()));
    let gone = edit::remove_from_project(&w.engine, w.project, &allow).await.unwrap_err();
    assert_eq!(gone.code(), "rule_not_found");
    let events = w.engine.store().read_stream(StreamId::Project(w.project), 1).unwrap();
    let updates = events.iter().filter(|e| matches!(e.event, DomainEvent::ProjectUpdated { .. })).count();
    assert_eq!(updates, 2, "one event per change that was made, none for the refused ones");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_made_earlier_in_the_turn_cannot_carry_a_pre_approved_write_past_a_deny() {
    let w = World::new().await;
    std::fs::write(w.project_dir.path().join(".env"), "SECRET=1\n").unwrap();
    for allowed in
        [rule(RuleEffect::Allow, "run_command", "ln *"), rule(RuleEffect::Allow, "write_file", "src/**")]
    {
        edit::add_to_project(&w.engine, w.project, &allowed).await.unwrap();
    }
    // Both calls come in one turn, so both are decided before the link exists.
    let tool_call = |id: &str, name: &str, input: serde_json::Value| {
        ModelEvent::ToolCall(ToolCall { id: id.into(), name: name.into(), input })
    };
    let server = ScriptServer::openai([
        Turn::reply(vec![
            ModelEvent::TextDelta("Linking, then writing.".into()),
            tool_call("call_link", "run_command", json!({"command": "ln -s ../.env src/cfg"})),
            tool_call("call_write", "write_file", json!({"path": "src/cfg", "content": "SECRET=stolen\n"})),
            usage(200, 30),
            ModelEvent::Stop(StopReason::ToolUse),
        ]),
        answer(&["The write was refused."]),
    ])
    .unwrap();
    let agent = agent_with(&w, &server, vec![rule(RuleEffect::Deny, "*", ".env")]);
    let run = agent.send_message(w.thread, "Update the config").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success, "the refusal does not end the run");
    assert_eq!(w.file(".env").as_deref(), Some("SECRET=1\n"), "the write never reached .env");
    assert!(
        w.project_dir.path().join("src/cfg").symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()),
        "the link was made by the first call"
    );
    let gates: Vec<ApprovalGate> = done
        .steps
        .iter()
        .filter_map(|s| match &s.step_type {
            StepType::ToolCall { gate, .. } => Some(gate.clone()),
            StepType::ModelCall => None,
        })
        .collect();
    assert_eq!(
        gates,
        [
            ApprovalGate::PreApproved { policy: "rule `ln *` (project)".into() },
            ApprovalGate::PreApproved { policy: "rule `src/**` (project)".into() },
        ],
        "both were pre-approved before either ran"
    );
    let write = done.steps.iter().filter_map(|s| s.tool_use_id()).nth(1).unwrap();
    let status = w.engine.with_state(|s| s.tool_uses.get(&write).map(|t| t.status));
    assert_eq!(status, Some(ToolStatus::Failed), "the write's tool use failed");
    let results = tool_results(&server.requests()[1].json().unwrap());
    assert!(
        results[1].contains("src/cfg was not written")
            && results[1].contains("denied by rule `.env` (global)"),
        "the model is told which rule refused it: {results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_of_a_projects_rules_at_the_same_moment_all_land() {
    let w = World::new().await;
    let edits: Vec<_> = (0..24)
        .map(|i| {
            let engine = w.engine.clone();
            let project = w.project;
            let effect = if i % 2 == 0 { RuleEffect::Deny } else { RuleEffect::Allow };
            tokio::spawn(async move {
                edit::add_to_project(&engine, project, &rule(effect, "run_command", &format!("tool{i} *")))
                    .await
            })
        })
        .collect();
    for edit in edits {
        edit.await.unwrap().unwrap();
    }
    let stored = w.engine.with_state(|s| s.projects[&w.project].rules.clone());
    assert_eq!(stored.len(), 24, "no edit was lost, denies included: {stored:?}");
    let removals: Vec<_> = stored
        .iter()
        .take(12)
        .cloned()
        .map(|r| {
            let engine = w.engine.clone();
            let project = w.project;
            tokio::spawn(async move { edit::remove_from_project(&engine, project, &r).await })
        })
        .collect();
    for removal in removals {
        removal.await.unwrap().unwrap();
    }
    let left = w.engine.with_state(|s| s.projects[&w.project].rules.clone());
    assert_eq!(left, stored[12..], "each removal took out its rule and only that");
}
