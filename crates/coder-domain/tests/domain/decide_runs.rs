//! Runs, steps, approvals and tool uses: given / when / then.

use coder_domain::*;
use serde_json::json;

use crate::support::*;

fn cost(input: u32, output: u32, cents: u32) -> Cost {
    Cost { input_tokens: input, output_tokens: output, total_tokens: input + output, usd_cents: cents }
}

#[test]
fn start_run() {
    let w = World::new();
    let s = w.scenario();
    let run_id = RunId::new();
    s.when(Command::StartRun { run_id, thread_id: w.thread, agent_name: "coder".into() }).then_expect_events(
        &[DomainEvent::RunStarted {
            run_id,
            thread_id: w.thread,
            agent_name: "coder".into(),
            timestamp: now(),
        }],
    );
    s.when(Command::StartRun { run_id: w.run, thread_id: w.thread, agent_name: "coder".into() })
        .then_expect_error("already_exists");
    s.when(Command::StartRun { run_id, thread_id: ThreadId::new(), agent_name: "coder".into() })
        .then_expect_error("not_found");
    s.when(Command::StartRun { run_id, thread_id: w.thread, agent_name: " ".into() })
        .then_expect_error("invalid_input");
}

#[test]
fn start_step_moves_a_queued_run_to_running() {
    let w = World::new();
    let mut s = w.scenario();
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Queued);
    let step_id = StepId::new();
    let cmd = Command::StartStep {
        run_id: w.run,
        step_id,
        step_type: StepType::ModelCall,
        description: "Ask the model".into(),
    };
    s.when(cmd.clone()).then_expect_events(&[DomainEvent::RunStepStarted {
        run_id: w.run,
        step_id,
        step_type: StepType::ModelCall,
        description: "Ask the model".into(),
        timestamp: now(),
    }]);
    s.run(cmd.clone());
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Running);
    s.when(cmd).then_expect_error("illegal_transition");
    s.when(Command::StartStep {
        run_id: RunId::new(),
        step_id: StepId::new(),
        step_type: StepType::ModelCall,
        description: String::new(),
    })
    .then_expect_error("not_found");
}

#[test]
fn a_gated_tool_call_makes_the_run_wait() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    assert_eq!(s.state.runs[&w.run].status, RunStatus::WaitingForApproval);
    assert_eq!(s.state.tool_uses[&tool].status, ToolStatus::Pending, "the tool waits with its step");
    assert!(s.state.runs[&w.run].step(step).unwrap().awaiting_approval());
    s.when(Command::UpdateStep { run_id: w.run, step_id: step, status: StepStatus::Running, progress: None })
        .then_expect_error("illegal_transition");
    s.when(Command::ReportToolProgress { tool_use_id: tool, progress: 0.5, status_message: "x".into() })
        .then_expect_error("illegal_transition");
    s.when(Command::FinishRun {
        run_id: w.run,
        status: RunStatus::Success,
        cost: Cost::default(),
        duration_ms: 1,
    })
    .then_expect_error("illegal_transition");
}

#[test]
fn approve_step() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    let approve = Command::ApproveStep { run_id: w.run, step_id: step, by: Approver::Person };
    s.when(approve.clone()).then_expect_events(&[DomainEvent::RunStepUpdated {
        run_id: w.run,
        step_id: step,
        status: StepStatus::Running,
        progress: None,
        timestamp: now(),
        decision: Some(ApprovalDecision { verdict: Verdict::Approved, by: Approver::Person, reason: None }),
    }]);
    s.run(approve.clone());
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Running);
    assert_eq!(s.state.tool_uses[&tool].status, ToolStatus::Running, "approval starts the tool");
    // Two racing approvals of one step: whichever is decided second is refused.
    let e = s.when(approve).then_expect_error("approval_already_decided");
    assert!(e.to_string().contains("approved"), "{e}");
    s.when(Command::RejectStep { run_id: w.run, step_id: step, by: Approver::Person, reason: None })
        .then_expect_error("approval_already_decided");
}

#[test]
fn approve_errors() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, _) = w.tool_call(&mut s, "read_file", pre_approved());
    s.when(Command::ApproveStep { run_id: w.run, step_id: step, by: Approver::Person })
        .then_expect_error("step_not_awaiting_approval");
    s.when(Command::ApproveStep { run_id: w.run, step_id: StepId::new(), by: Approver::Person })
        .then_expect_error("not_found");
    s.when(Command::ApproveStep { run_id: RunId::new(), step_id: step, by: Approver::Person })
        .then_expect_error("not_found");
}

#[test]
fn reject_step_cancels_its_tool_use() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool) = w.tool_call(&mut s, "run_command", ApprovalGate::NeedsApproval);
    let reject = Command::RejectStep {
        run_id: w.run,
        step_id: step,
        by: Approver::Person,
        reason: Some("not now".into()),
    };
    s.when(reject.clone()).then_expect_events(&[
        DomainEvent::RunStepUpdated {
            run_id: w.run,
            step_id: step,
            status: StepStatus::Skipped,
            progress: None,
            timestamp: now(),
            decision: Some(ApprovalDecision {
                verdict: Verdict::Rejected,
                by: Approver::Person,
                reason: Some("not now".into()),
            }),
        },
        DomainEvent::ToolUseCancelled { tool_use_id: tool, timestamp: now() },
    ]);
    s.run(reject.clone());
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Running, "the run goes on after a rejection");
    s.when(reject).then_expect_error("approval_already_decided");
    s.when(Command::RejectStep {
        run_id: w.run,
        step_id: step,
        by: Approver::Person,
        reason: Some("x".repeat(70_000)),
    })
    .then_expect_error("approval_already_decided");
}

#[test]
fn policy_approvals_are_recorded_with_their_rule() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, _) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    let by = Approver::Policy { rule: "always allow write_file".into() };
    let events = s.run(Command::ApproveStep { run_id: w.run, step_id: step, by: by.clone() });
    let DomainEvent::RunStepUpdated { decision: Some(decision), .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert_eq!(decision.by, by);
}

#[test]
fn update_and_complete_step() {
    let w = World::new();
    let mut s = w.scenario();
    let step_id = StepId::new();
    s.run(Command::StartStep {
        run_id: w.run,
        step_id,
        step_type: StepType::ModelCall,
        description: "m".into(),
    });
    s.when(Command::UpdateStep { run_id: w.run, step_id, status: StepStatus::Running, progress: Some(0.5) })
        .then_expect_events(&[DomainEvent::RunStepUpdated {
            run_id: w.run,
            step_id,
            status: StepStatus::Running,
            progress: Some(0.5),
            timestamp: now(),
            decision: None,
        }]);
    s.when(Command::UpdateStep { run_id: w.run, step_id, status: StepStatus::Running, progress: Some(1.5) })
        .then_expect_error("invalid_input");
    s.when(Command::UpdateStep {
        run_id: w.run,
        step_id,
        status: StepStatus::Running,
        progress: Some(f32::NAN),
    })
    .then_expect_error("invalid_input");
    s.when(Command::UpdateStep { run_id: w.run, step_id, status: StepStatus::Success, progress: None })
        .then_expect_error("illegal_transition");
    s.when(Command::UpdateStep {
        run_id: w.run,
        step_id: StepId::new(),
        status: StepStatus::Running,
        progress: None,
    })
    .then_expect_error("not_found");
    let c = cost(100, 20, 3);
    let complete =
        Command::CompleteStep { run_id: w.run, step_id, result: StepResult::Success, cost: Some(c) };
    s.when(complete.clone()).then_expect_events(&[DomainEvent::RunStepComplete {
        run_id: w.run,
        step_id,
        result: StepResult::Success,
        timestamp: now(),
        cost: Some(c),
    }]);
    s.run(complete.clone());
    assert_eq!(s.state.runs[&w.run].cost, c, "step costs add up in the run");
    s.when(complete).then_expect_error("illegal_transition");
    s.when(Command::CompleteStep {
        run_id: w.run,
        step_id: StepId::new(),
        result: StepResult::Success,
        cost: None,
    })
    .then_expect_error("not_found");
}

#[test]
fn finish_run() {
    let w = World::new();
    let mut s = w.scenario();
    let c = cost(10, 5, 1);
    let finish = Command::FinishRun { run_id: w.run, status: RunStatus::Success, cost: c, duration_ms: 1200 };
    s.when(finish.clone()).then_expect_events(&[DomainEvent::RunFinished {
        run_id: w.run,
        status: RunStatus::Success,
        cost: c,
        duration_ms: 1200,
        timestamp: now(),
    }]);
    s.when(Command::FinishRun { run_id: w.run, status: RunStatus::Running, cost: c, duration_ms: 1 })
        .then_expect_error("illegal_transition");
    s.run(finish.clone());
    s.when(finish).then_expect_error("illegal_transition");
    s.when(Command::FinishRun { run_id: RunId::new(), status: RunStatus::Failed, cost: c, duration_ms: 1 })
        .then_expect_error("not_found");
}

#[test]
fn cancel_run_cancels_open_tools_and_steps() {
    let w = World::new();
    let mut s = w.scenario();
    let model_step = StepId::new();
    s.run(Command::StartStep {
        run_id: w.run,
        step_id: model_step,
        step_type: StepType::ModelCall,
        description: "m".into(),
    });
    s.run(Command::CompleteStep {
        run_id: w.run,
        step_id: model_step,
        result: StepResult::Success,
        cost: Some(cost(10, 10, 2)),
    });
    let (step, tool) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    s.when(Command::CancelRun { run_id: w.run }).then_expect_events(&[
        DomainEvent::ToolUseCancelled { tool_use_id: tool, timestamp: now() },
        DomainEvent::RunStepComplete {
            run_id: w.run,
            step_id: step,
            result: StepResult::Cancelled,
            timestamp: now(),
            cost: None,
        },
        DomainEvent::RunFinished {
            run_id: w.run,
            status: RunStatus::Cancelled,
            cost: cost(10, 10, 2),
            duration_ms: 0,
            timestamp: now(),
        },
    ]);
    s.run(Command::CancelRun { run_id: w.run });
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Cancelled);
    s.when(Command::CancelRun { run_id: w.run }).then_expect_error("illegal_transition");
    s.when(Command::ApproveStep { run_id: w.run, step_id: step, by: Approver::Person })
        .then_expect_error("step_not_awaiting_approval");
    s.when(Command::CancelRun { run_id: RunId::new() }).then_expect_error("not_found");
}

#[test]
fn fail_run_fails_open_tools_and_steps_then_the_run_in_one_decision() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    let reason = "the provider is unreachable".to_string();
    s.when(Command::FailRun { run_id: w.run, reason: reason.clone() }).then_expect_events(&[
        DomainEvent::ToolUseFailed { tool_use_id: tool, error: reason.clone(), timestamp: now() },
        DomainEvent::RunStepComplete {
            run_id: w.run,
            step_id: step,
            result: StepResult::Failed { error: reason.clone() },
            timestamp: now(),
            cost: None,
        },
        DomainEvent::RunFinished {
            run_id: w.run,
            status: RunStatus::Failed,
            cost: Cost::default(),
            duration_ms: 0,
            timestamp: now(),
        },
    ]);
    s.run(Command::FailRun { run_id: w.run, reason: reason.clone() });
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Failed);
    s.when(Command::FailRun { run_id: w.run, reason: reason.clone() })
        .then_expect_error("illegal_transition");
    s.when(Command::FailRun { run_id: RunId::new(), reason }).then_expect_error("not_found");
}

#[test]
fn interrupt_run_fails_what_ran_and_keeps_what_waits() {
    let w = World::new();
    let mut s = w.scenario();
    let model_step = StepId::new();
    s.run(Command::StartStep {
        run_id: w.run,
        step_id: model_step,
        step_type: StepType::ModelCall,
        description: "m".into(),
    });
    s.run(Command::CompleteStep {
        run_id: w.run,
        step_id: model_step,
        result: StepResult::Success,
        cost: None,
    });
    // An approved command that was under way, and a write that still waits for its approval.
    let (ran_step, ran_tool) = w.tool_call(&mut s, "run_command", ApprovalGate::NeedsApproval);
    s.run(Command::ApproveStep { run_id: w.run, step_id: ran_step, by: Approver::Person });
    let (waiting_step, waiting_tool) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    let reason = "interrupted by a restart".to_string();
    s.when(Command::InterruptRun { run_id: w.run, reason: reason.clone() }).then_expect_events(&[
        DomainEvent::ToolUseFailed { tool_use_id: ran_tool, error: reason.clone(), timestamp: now() },
        DomainEvent::RunStepComplete {
            run_id: w.run,
            step_id: ran_step,
            result: StepResult::Failed { error: reason.clone() },
            timestamp: now(),
            cost: None,
        },
    ]);
    s.run(Command::InterruptRun { run_id: w.run, reason: reason.clone() });
    let run = &s.state.runs[&w.run];
    assert_eq!(run.status, RunStatus::WaitingForApproval, "the write still waits for the person");
    assert!(run.step(waiting_step).unwrap().awaiting_approval());
    assert_eq!(s.state.tool_uses[&waiting_tool].status, ToolStatus::Pending);
    assert_eq!(s.state.tool_uses[&ran_tool].status, ToolStatus::Failed, "never runs again");
    s.when(Command::InterruptRun { run_id: w.run, reason: reason.clone() }).then_expect_events(&[]);
    s.run(Command::CancelRun { run_id: w.run });
    s.when(Command::InterruptRun { run_id: w.run, reason }).then_expect_error("illegal_transition");
}

#[test]
fn interrupt_run_ends_a_tool_call_whose_tool_use_was_never_recorded() {
    let w = World::new();
    let mut s = w.scenario();
    // Coder stopped between recording the step and its tool use.
    let step = StepId::new();
    s.run(Command::StartStep {
        run_id: w.run,
        step_id: step,
        step_type: StepType::ToolCall {
            tool_use_id: ToolUseId::new(),
            tool_name: "edit_file".into(),
            gate: ApprovalGate::NeedsApproval,
        },
        description: "Edit".into(),
    });
    assert_eq!(s.state.runs[&w.run].status, RunStatus::WaitingForApproval);
    let reason = "interrupted".to_string();
    s.when(Command::InterruptRun { run_id: w.run, reason: reason.clone() }).then_expect_events(&[
        DomainEvent::RunStepComplete {
            run_id: w.run,
            step_id: step,
            result: StepResult::Failed { error: reason.clone() },
            timestamp: now(),
            cost: None,
        },
    ]);
    s.run(Command::InterruptRun { run_id: w.run, reason });
    assert_eq!(
        s.state.runs[&w.run].status,
        RunStatus::Running,
        "nothing waits for an approval that could never run anything"
    );
}

#[test]
fn a_tool_use_recorded_after_its_step_was_rejected_is_cancelled_with_it() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool_use_id) = (StepId::new(), ToolUseId::new());
    s.run(Command::StartStep {
        run_id: w.run,
        step_id: step,
        step_type: StepType::ToolCall {
            tool_use_id,
            tool_name: "run_command".into(),
            gate: ApprovalGate::NeedsApproval,
        },
        description: "Run".into(),
    });
    // The person rejects the step in the moment before its tool use is recorded.
    s.run(Command::RejectStep { run_id: w.run, step_id: step, by: Approver::Person, reason: None });
    let input = serde_json::json!({"command": "true"});
    s.when(Command::StartToolUse {
        tool_use_id,
        run_id: w.run,
        message_id: w.reply,
        tool_name: "run_command".into(),
        input: input.clone(),
    })
    .then_expect_events(&[
        DomainEvent::ToolUseStarted {
            tool_use_id,
            run_id: w.run,
            message_id: w.reply,
            tool_name: "run_command".into(),
            input: input.clone(),
            timestamp: now(),
        },
        DomainEvent::ToolUseCancelled { tool_use_id, timestamp: now() },
    ]);
    s.run(Command::StartToolUse {
        tool_use_id,
        run_id: w.run,
        message_id: w.reply,
        tool_name: "run_command".into(),
        input,
    });
    assert_eq!(s.state.tool_uses[&tool_use_id].status, ToolStatus::Cancelled, "a rejected call never runs");
}

#[test]
fn add_artifact() {
    let w = World::new();
    let s = w.scenario();
    let cmd = Command::AddArtifact {
        run_id: w.run,
        artifact_id: "plan.md".into(),
        artifact_type: ArtifactType::Markdown,
        data: b"# Plan".to_vec(),
    };
    s.when(cmd).then_expect_events(&[DomainEvent::RunArtifactAdded {
        run_id: w.run,
        artifact_id: "plan.md".into(),
        artifact_type: ArtifactType::Markdown,
        data: b"# Plan".to_vec(),
        timestamp: now(),
    }]);
    s.when(Command::AddArtifact {
        run_id: w.run,
        artifact_id: "big".into(),
        artifact_type: ArtifactType::Binary { mime_type: "application/octet-stream".into() },
        data: vec![0; limits::ARTIFACT_BYTES + 1],
    })
    .then_expect_error("too_large");
    s.when(Command::AddArtifact {
        run_id: w.run,
        artifact_id: "".into(),
        artifact_type: ArtifactType::Text,
        data: vec![],
    })
    .then_expect_error("invalid_input");
    s.when(Command::AddArtifact {
        run_id: RunId::new(),
        artifact_id: "a".into(),
        artifact_type: ArtifactType::Text,
        data: vec![],
    })
    .then_expect_error("not_found");
}

#[test]
fn start_tool_use() {
    let w = World::new();
    let s = w.scenario();
    let tool_use_id = ToolUseId::new();
    let cmd = Command::StartToolUse {
        tool_use_id,
        run_id: w.run,
        message_id: w.reply,
        tool_name: "read_file".into(),
        input: json!({"path": "README.md"}),
    };
    s.when(cmd.clone()).then_expect_events(&[DomainEvent::ToolUseStarted {
        tool_use_id,
        run_id: w.run,
        message_id: w.reply,
        tool_name: "read_file".into(),
        input: json!({"path": "README.md"}),
        timestamp: now(),
    }]);
    let mut s2 = w.scenario();
    s2.run(cmd.clone());
    s2.when(cmd).then_expect_error("already_exists");
    s.when(Command::StartToolUse {
        tool_use_id,
        run_id: RunId::new(),
        message_id: w.reply,
        tool_name: "x".into(),
        input: json!(null),
    })
    .then_expect_error("not_found");
    s.when(Command::StartToolUse {
        tool_use_id,
        run_id: w.run,
        message_id: MessageId::new(),
        tool_name: "x".into(),
        input: json!(null),
    })
    .then_expect_error("not_found");
    s.when(Command::StartToolUse {
        tool_use_id,
        run_id: w.run,
        message_id: w.reply,
        tool_name: "write_file".into(),
        input: json!({"content": "x".repeat(limits::TOOL_INPUT_BYTES)}),
    })
    .then_expect_error("too_large");
}

#[test]
fn tool_progress_complete_and_fail() {
    let w = World::new();
    let mut s = w.scenario();
    let (_, tool) = w.tool_call(&mut s, "run_command", pre_approved());
    assert_eq!(s.state.tool_uses[&tool].status, ToolStatus::Running, "a pre-approved tool runs at once");
    s.when(Command::ReportToolProgress {
        tool_use_id: tool,
        progress: 0.25,
        status_message: "building".into(),
    })
    .then_expect_events(&[DomainEvent::ToolUseProgress {
        tool_use_id: tool,
        progress: 0.25,
        status_message: "building".into(),
        timestamp: now(),
    }]);
    s.when(Command::ReportToolProgress { tool_use_id: tool, progress: -0.1, status_message: String::new() })
        .then_expect_error("invalid_input");
    s.when(Command::ReportToolProgress {
        tool_use_id: ToolUseId::new(),
        progress: 0.1,
        status_message: String::new(),
    })
    .then_expect_error("not_found");
    s.when(Command::FailToolUse { tool_use_id: tool, error: "exit 1".into() }).then_expect_events(&[
        DomainEvent::ToolUseFailed { tool_use_id: tool, error: "exit 1".into(), timestamp: now() },
    ]);
    let complete = Command::CompleteToolUse {
        tool_use_id: tool,
        result: ToolOutput::Text("ok".into()),
        duration_ms: 42,
    };
    s.when(complete.clone()).then_expect_events(&[DomainEvent::ToolUseComplete {
        tool_use_id: tool,
        result: ToolOutput::Text("ok".into()),
        duration_ms: 42,
        timestamp: now(),
    }]);
    s.run(complete.clone());
    // Completing a finished tool use is an illegal transition; so is failing or cancelling it.
    s.when(complete).then_expect_error("illegal_transition");
    s.when(Command::FailToolUse { tool_use_id: tool, error: "late".into() })
        .then_expect_error("illegal_transition");
    s.when(Command::CancelToolUse { tool_use_id: tool }).then_expect_error("illegal_transition");
    s.when(Command::CompleteToolUse {
        tool_use_id: ToolUseId::new(),
        result: ToolOutput::Empty,
        duration_ms: 1,
    })
    .then_expect_error("not_found");
    s.when(Command::FailToolUse { tool_use_id: ToolUseId::new(), error: "x".into() })
        .then_expect_error("not_found");
}

#[test]
fn oversized_tool_output_is_refused() {
    let w = World::new();
    let mut s = w.scenario();
    let (_, tool) = w.tool_call(&mut s, "read_file", pre_approved());
    s.when(Command::CompleteToolUse {
        tool_use_id: tool,
        result: ToolOutput::Text("x".repeat(limits::TOOL_OUTPUT_BYTES)),
        duration_ms: 1,
    })
    .then_expect_error("too_large");
}

#[test]
fn cancel_tool_use_ends_its_step() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool) = w.tool_call(&mut s, "run_command", pre_approved());
    s.when(Command::CancelToolUse { tool_use_id: tool }).then_expect_events(&[
        DomainEvent::ToolUseCancelled { tool_use_id: tool, timestamp: now() },
        DomainEvent::RunStepComplete {
            run_id: w.run,
            step_id: step,
            result: StepResult::Cancelled,
            timestamp: now(),
            cost: None,
        },
    ]);
    s.when(Command::CancelToolUse { tool_use_id: ToolUseId::new() }).then_expect_error("not_found");
    // Cancelling a tool that waits for approval ends the wait.
    let (_, gated) = w.tool_call(&mut s, "write_file", ApprovalGate::NeedsApproval);
    assert_eq!(s.state.runs[&w.run].status, RunStatus::WaitingForApproval);
    s.run(Command::CancelToolUse { tool_use_id: gated });
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Running);
}

#[test]
fn a_denied_tool_call_is_recorded_waiting_and_rejected_in_one_batch() {
    let w = World::new();
    let mut s = w.scenario();
    let (step, tool) = (StepId::new(), ToolUseId::new());
    let step_type = StepType::ToolCall {
        tool_use_id: tool,
        tool_name: "run_command".into(),
        gate: ApprovalGate::NeedsApproval,
    };
    let deny = |step_type: StepType, rule: &str| Command::DenyToolCall {
        run_id: w.run,
        step_id: step,
        step_type,
        description: "Run `rm -rf x`".into(),
        message_id: w.reply,
        input: json!({"command": "rm -rf x"}),
        rule: rule.into(),
        reason: "denied by rule `rm *` (global)".into(),
    };
    let decision = ApprovalDecision {
        verdict: Verdict::Rejected,
        by: Approver::Policy { rule: "rule `rm *` (global)".into() },
        reason: Some("denied by rule `rm *` (global)".into()),
    };
    s.when(deny(step_type.clone(), "rule `rm *` (global)")).then_expect_events(&[
        DomainEvent::RunStepStarted {
            run_id: w.run,
            step_id: step,
            step_type: step_type.clone(),
            description: "Run `rm -rf x`".into(),
            timestamp: now(),
        },
        DomainEvent::ToolUseStarted {
            tool_use_id: tool,
            run_id: w.run,
            message_id: w.reply,
            tool_name: "run_command".into(),
            input: json!({"command": "rm -rf x"}),
            timestamp: now(),
        },
        DomainEvent::RunStepUpdated {
            run_id: w.run,
            step_id: step,
            status: StepStatus::Skipped,
            progress: None,
            timestamp: now(),
            decision: Some(decision.clone()),
        },
        DomainEvent::ToolUseCancelled { tool_use_id: tool, timestamp: now() },
    ]);
    let pre_approved_type =
        StepType::ToolCall { tool_use_id: tool, tool_name: "run_command".into(), gate: pre_approved() };
    s.when(deny(pre_approved_type, "r")).then_expect_error("invalid_input");
    s.when(deny(step_type.clone(), " ")).then_expect_error("invalid_input");
    s.when(deny(StepType::ModelCall, "r")).then_expect_error("invalid_input");

    s.run(deny(step_type.clone(), "rule `rm *` (global)"));
    assert_eq!(s.state.runs[&w.run].status, RunStatus::Running, "the run never waits for a denied call");
    assert_eq!(s.state.runs[&w.run].step(step).unwrap().decision, Some(decision));
    assert_eq!(s.state.tool_uses[&tool].status, ToolStatus::Cancelled);
    s.when(Command::ApproveStep { run_id: w.run, step_id: step, by: Approver::Person })
        .then_expect_error("approval_already_decided");
    s.when(deny(step_type, "again")).then_expect_error("already_exists");
}
