use coder_domain::*;
use tempfile::TempDir;

use crate::support::*;

#[test]
fn restart_completes_streams_interrupts_model_calls_and_keeps_approvals_waiting() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (_, thread) = thread(&engine, "t");
    // A run that was streaming when the app died.
    let (running, streaming) = run_with_reply(&engine, thread);
    engine
        .dispatch_blocking(Command::StartStep {
            run_id: running,
            step_id: StepId::new(),
            step_type: StepType::ModelCall,
            description: "model".into(),
        })
        .unwrap();
    engine
        .dispatch_blocking(Command::StreamText {
            thread_id: thread,
            message_id: streaming,
            delta: "Half an ans".into(),
        })
        .unwrap();
    // A run that waits for a person's approval.
    let (waiting, reply) = run_with_reply(&engine, thread);
    let (step, tool) = gated_tool(&engine, waiting, reply);
    engine
        .dispatch_blocking(Command::CompleteMessage {
            thread_id: thread,
            message_id: reply,
            final_content: "I'll write it.".into(),
        })
        .unwrap();
    // The app stops without a clean close: no shutdown snapshot.
    drop(engine);

    let engine = open(&dir);
    let view = engine.chat_view(thread).unwrap();
    let message = view
        .entries
        .iter()
        .find_map(|e| match e {
            ChatEntry::Message(m) if m.id == streaming => Some(m.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(message.content, "Half an ans", "completed with the text stored so far");
    assert!(message.interrupted && !message.streaming, "and marked interrupted");
    let run = engine.run_view(running).unwrap().run.unwrap();
    assert_eq!(run.status, RunStatus::Running, "a run left running stays open for a runner to continue");
    assert!(
        run.steps.iter().all(|s| matches!(s.result, Some(StepResult::Failed { .. }))),
        "its model call that was under way failed as interrupted"
    );
    assert_eq!(engine.run_view(waiting).unwrap().run.unwrap().status, RunStatus::WaitingForApproval);

    // Recovery happened once: a further restart changes nothing.
    let before = engine.store().last_sequence();
    engine.close();
    let engine = open(&dir);
    assert_eq!(engine.store().last_sequence(), before, "nothing left to recover");

    // The pending approval can still be answered after the restarts.
    engine
        .dispatch_blocking(Command::ApproveStep { run_id: waiting, step_id: step, by: Approver::Person })
        .unwrap();
    let view = engine.run_view(waiting).unwrap();
    assert_eq!(view.run.as_ref().unwrap().status, RunStatus::Running);
    assert_eq!(view.tool_use(tool).unwrap().status, ToolStatus::Running);
}

#[test]
fn an_approved_tool_under_way_at_a_restart_fails_and_never_runs_again() {
    let dir = TempDir::new().unwrap();
    let engine = open(&dir);
    let (_, thread) = thread(&engine, "t");
    let (run, reply) = run_with_reply(&engine, thread);
    engine
        .dispatch_blocking(Command::CompleteMessage {
            thread_id: thread,
            message_id: reply,
            final_content: "Running two commands.".into(),
        })
        .unwrap();
    // The first command was approved and was executing; the second still waits.
    let (ran_step, ran_tool) = gated_tool(&engine, run, reply);
    engine
        .dispatch_blocking(Command::ApproveStep { run_id: run, step_id: ran_step, by: Approver::Person })
        .unwrap();
    let (waiting_step, waiting_tool) = gated_tool(&engine, run, reply);
    assert_eq!(engine.run_view(run).unwrap().run.unwrap().status, RunStatus::WaitingForApproval);
    let correlation = engine.run_correlation(run).expect("an open run has a correlation");
    drop(engine);

    let engine = open(&dir);
    engine.wait_until_ready();
    let view = engine.run_view(run).unwrap();
    let ran = view.tool_use(ran_tool).unwrap();
    assert_eq!(ran.status, ToolStatus::Failed, "a tool use found running at start is not run again");
    assert!(ran.error.as_deref().unwrap().starts_with("interrupted by a restart"), "{:?}", ran.error);
    let step = view.run.as_ref().unwrap().step(ran_step).unwrap();
    assert!(matches!(step.result, Some(StepResult::Failed { .. })), "its step failed with it");
    assert_eq!(view.tool_use(waiting_tool).unwrap().status, ToolStatus::Pending, "the other still waits");
    assert_eq!(view.run.as_ref().unwrap().status, RunStatus::WaitingForApproval);
    let last = engine.store().read_stream(StreamId::Run(run), 1).unwrap().pop().unwrap();
    assert_eq!(last.correlation_id, correlation, "recovery records in the run's own correlation");
    assert_eq!(last.metadata.get("reason").map(String::as_str), Some("interrupted"));

    let before = engine.store().last_sequence();
    engine.close();
    let engine = open(&dir);
    assert_eq!(engine.store().last_sequence(), before, "recovery is done once");
    engine
        .dispatch_blocking(Command::ApproveStep { run_id: run, step_id: waiting_step, by: Approver::Person })
        .unwrap();
}
