use coder_domain::*;
use tempfile::TempDir;

use crate::support::*;

#[test]
fn restart_completes_streams_fails_running_runs_and_keeps_approvals_waiting() {
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
    assert_eq!(run.status, RunStatus::Failed, "a run left running is failed");
    assert!(run.steps.iter().all(|s| s.status.is_final()));
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
