//! Replay throughput of `ChatView` + `ThreadList`: builds a synthetic log of N events (threads
//! with user messages, streamed assistant replies and tool uses, through `decide`), then times
//! folding it into one `ChatView` per thread and the `ThreadList`. Doubling N should double the
//! time: `apply` is O(1) amortized.
//!
//! `cargo run --release -p coder-domain --example replay [N ...]`

#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::time::Instant;

use coder_domain::*;

fn build(target: usize) -> Vec<DomainEvent> {
    let mut state = DomainState::new();
    let mut events = Vec::with_capacity(target + 16);
    let now = Utc::now();
    let run = |state: &mut DomainState, events: &mut Vec<DomainEvent>, cmd: Command| {
        for e in decide(state, &cmd, now).expect("workload commands are valid") {
            state.apply(&e);
            events.push(e);
        }
    };
    let threads: Vec<ThreadId> = (0..100).map(|_| ThreadId::new()).collect();
    for (i, t) in threads.iter().enumerate() {
        run(
            &mut state,
            &mut events,
            Command::CreateThread { thread_id: *t, title: format!("Thread {i}"), project_id: None },
        );
    }
    let mut turn = 0usize;
    while events.len() < target {
        let thread_id = threads[turn % threads.len()];
        turn += 1;
        run(
            &mut state,
            &mut events,
            Command::SendMessage {
                thread_id,
                message_id: MessageId::new(),
                content: "Please look at the failing test in src/parser.rs and fix it.".into(),
                attachments: Vec::new(),
            },
        );
        let run_id = RunId::new();
        run(&mut state, &mut events, Command::StartRun { run_id, thread_id, agent_name: "coder".into() });
        let reply = MessageId::new();
        run(&mut state, &mut events, Command::StartAssistantMessage { thread_id, message_id: reply });
        for k in 0..8 {
            run(
                &mut state,
                &mut events,
                Command::StreamText {
                    thread_id,
                    message_id: reply,
                    delta: format!("chunk {k} of the answer, with some words in it. "),
                },
            );
        }
        let step_id = StepId::new();
        let tool_use_id = ToolUseId::new();
        let gate = ApprovalGate::PreApproved { policy: "read-only tool".into() };
        let step_type = StepType::ToolCall { tool_use_id, tool_name: "read_file".into(), gate };
        run(
            &mut state,
            &mut events,
            Command::StartStep { run_id, step_id, step_type, description: "read".into() },
        );
        run(
            &mut state,
            &mut events,
            Command::StartToolUse {
                tool_use_id,
                run_id,
                message_id: reply,
                tool_name: "read_file".into(),
                input: serde_json::json!({"path": "src/parser.rs"}),
            },
        );
        run(
            &mut state,
            &mut events,
            Command::CompleteToolUse {
                tool_use_id,
                result: ToolOutput::Text("fn parse() {}".into()),
                duration_ms: 3,
            },
        );
        run(
            &mut state,
            &mut events,
            Command::CompleteStep { run_id, step_id, result: StepResult::Success, cost: None },
        );
        let text = state.messages[&reply].content.clone();
        run(
            &mut state,
            &mut events,
            Command::CompleteMessage { thread_id, message_id: reply, final_content: text },
        );
        run(
            &mut state,
            &mut events,
            Command::FinishRun { run_id, status: RunStatus::Success, cost: Cost::default(), duration_ms: 10 },
        );
    }
    events.truncate(target);
    events
}

fn replay(events: &[DomainEvent]) -> (usize, usize) {
    let mut list = ThreadList::new();
    let mut views: HashMap<ThreadId, ChatView> = HashMap::new();
    let mut run_thread: HashMap<RunId, ThreadId> = HashMap::new();
    let mut tool_thread: HashMap<ToolUseId, ThreadId> = HashMap::new();
    for event in events {
        list.apply(event);
        // Route the event to its thread's view, as the engine does.
        let thread = event
            .thread_id()
            .or_else(|| event.run_id().and_then(|r| run_thread.get(&r).copied()))
            .or_else(|| event.tool_use_id().and_then(|t| tool_thread.get(&t).copied()));
        if let DomainEvent::RunStarted { run_id, thread_id, .. } = event {
            run_thread.insert(*run_id, *thread_id);
        }
        if let (DomainEvent::ToolUseStarted { tool_use_id, .. }, Some(t)) = (event, thread) {
            tool_thread.insert(*tool_use_id, t);
        }
        if let Some(thread) = thread {
            views.entry(thread).or_insert_with(|| ChatView::new(thread)).apply(event);
        }
    }
    (list.len(), views.values().map(|v| v.entries.len()).sum())
}

fn main() {
    let sizes: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() { vec![100_000, 200_000, 400_000] } else { sizes };
    println!("{:>10} {:>12} {:>14} {:>12}", "events", "replay ms", "events/s", "ns/event");
    for n in sizes {
        let events = build(n);
        let mut best = f64::MAX;
        let mut entries = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let (_, e) = replay(&events);
            best = best.min(start.elapsed().as_secs_f64());
            entries = e;
        }
        println!(
            "{:>10} {:>12.1} {:>14.0} {:>12.0}   ({entries} chat entries)",
            n,
            best * 1e3,
            n as f64 / best,
            best * 1e9 / n as f64
        );
    }
}
