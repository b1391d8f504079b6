use coder_agent::provider::{AnthropicConfig, AnthropicProvider, ModelEvent, StopReason};
use coder_agent::testing::{ScriptServer, Turn};
use coder_domain::*;
use serde_json::json;
use std::sync::Arc;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_answer_streams_and_completes() {
    let w = World::new().await;
    let words: Vec<String> = (0..200).map(|i| format!("word{i} ")).collect();
    let refs: Vec<&str> = words.iter().map(String::as_str).collect();
    let server = ScriptServer::openai([answer(&refs)]).unwrap();
    let agent = w.agent(&server);
    let mut live = agent.live();
    let run = agent.send_message(w.thread, "Say many words").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    assert_eq!(replies(&w.engine, w.thread), [words.concat()], "the whole answer is stored");
    let mut live_text = String::new();
    while let Ok(event) = live.try_recv() {
        if let coder_agent::LiveEvent::TextDelta { text, .. } = event {
            live_text.push_str(&text);
        }
    }
    assert_eq!(live_text, words.concat(), "every token went out live");
    let chunks = run_events(&w.engine, run)
        .iter()
        .filter(|e| matches!(e.event, DomainEvent::MessageStreaming { .. }))
        .count();
    assert!(chunks < 200, "streamed text is coalesced before it is stored ({chunks} chunks for 200 deltas)");
    let thread_events = w.engine.thread_events(w.thread).unwrap();
    let message = &thread_events
        .iter()
        .find(|e| matches!(e.event, DomainEvent::MessageAdded { role: Role::User, .. }))
        .unwrap();
    let started = run_events(&w.engine, run);
    assert!(
        started.iter().any(|e| e.event_id == message.event_id),
        "the person's message is part of the run's correlation"
    );
    assert!(
        started.iter().skip(1).all(|e| e.causation_id.is_some()),
        "every later event points at its cause"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_file_feeds_the_result_back() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("Let me look.", "read_file", json!({"path": "src/lib.rs"})),
        answer(&["It returns 41."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "What does answer() return?").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    assert_eq!(done.steps.len(), 3, "model call, tool call, model call");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let results = tool_results(&requests[1].json().unwrap());
    assert_eq!(results.len(), 1);
    assert!(
        results[0].contains("pub fn answer() -> u32 { 41 }"),
        "the file's text went to the model: {results:?}"
    );
    let view = w.engine.chat_view(w.thread).unwrap();
    let card = view.entries.iter().find_map(|e| match e {
        ChatEntry::ToolUse(t) => Some(t.clone()),
        _ => None,
    });
    let card = card.expect("a tool card");
    assert_eq!((card.tool_name.as_str(), card.status), ("read_file", ToolStatus::Success));
    assert!(!card.awaiting_approval, "read-only tools run at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_streams_its_output_as_progress() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call(
            "Running it.",
            "run_command",
            json!({"command": "for i in 1 2 3; do echo line$i; sleep 0.3; done; exit 3"}),
        ),
        answer(&["It exited with 3."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let mut live = agent.live();
    let run = agent.send_message(w.thread, "Run the script").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    let progress: Vec<String> = run_events(&w.engine, run)
        .into_iter()
        .filter_map(|e| match e.event {
            DomainEvent::ToolUseProgress { status_message, .. } => Some(status_message),
            _ => None,
        })
        .collect();
    assert!(progress.iter().any(|m| m.contains("line1")), "output is stored as progress: {progress:?}");
    let mut lines = Vec::new();
    while let Ok(event) = live.try_recv() {
        if let coder_agent::LiveEvent::ToolOutput { line, .. } = event {
            lines.push(line);
        }
    }
    assert_eq!(lines, ["line1", "line2", "line3"], "every line went out live, in order");
    let result = run_events(&w.engine, run).into_iter().find_map(|e| match e.event {
        DomainEvent::ToolUseComplete { result: ToolOutput::Json(v), .. } => Some(v),
        _ => None,
    });
    assert_eq!(result.unwrap()["exit_code"], 3, "the exit code is in the result");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_is_reported_to_the_model_and_the_run_goes_on() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        call("I'll rewrite it.", "write_file", json!({"path": "src/lib.rs", "content": "broken"})),
        answer(&["Understood, I left it alone."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Rewrite lib.rs").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.reject(run, waiting_step(&waiting_run), Approver::Person, Some("keep it".into())).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success, "a rejection does not end the run");
    assert_eq!(w.file("src/lib.rs").unwrap(), "pub fn answer() -> u32 { 41 }\n", "nothing was written");
    let results = tool_results(&server.requests()[1].json().unwrap());
    assert!(
        results[0].contains("rejected") && results[0].contains("keep it"),
        "the model is told: {results:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_escapes_are_refused_and_reported() {
    let w = World::new().await;
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), "secret").unwrap();
    let escape = format!("../{}", outside.path().file_name().unwrap().to_string_lossy());
    let server = ScriptServer::openai([
        call("Peeking.", "read_file", json!({"path": escape})),
        call("Writing outside.", "write_file", json!({"path": "/tmp/coder-escape-test", "content": "x"})),
        answer(&["I cannot."]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "Read outside").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    agent.approve(run, waiting_step(&waiting_run), Approver::Person).await.unwrap();
    finished(&w.engine, run).await;
    let requests = server.requests();
    let first = tool_results(&requests[1].json().unwrap());
    assert!(first[0].contains("outside the project"), "{first:?}");
    assert!(!first[0].contains("secret"));
    let second = tool_results(&requests[2].json().unwrap());
    assert!(
        second.last().unwrap().contains("outside the project") || second.last().unwrap().contains("absolute"),
        "{second:?}"
    );
    assert!(!std::path::Path::new("/tmp/coder-escape-test").exists(), "nothing outside was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cost_of_a_run_is_the_usage_times_the_prices() {
    let w = World::new().await;
    let server = ScriptServer::openai([
        Turn::reply(vec![
            ModelEvent::ToolCall(coder_agent::provider::ToolCall {
                id: "c1".into(),
                name: "list_files".into(),
                input: json!({}),
            }),
            usage(120_000, 4_000),
            ModelEvent::Stop(StopReason::ToolUse),
        ]),
        Turn::reply(vec![
            ModelEvent::TextDelta("Done".into()),
            usage(130_000, 6_000),
            ModelEvent::Stop(StopReason::EndTurn),
        ]),
    ])
    .unwrap();
    let agent = w.agent(&server);
    let run = agent.send_message(w.thread, "List").await.unwrap();
    let done = finished(&w.engine, run).await;
    // 250,000 in × $3/M + 10,000 out × $15/M = $0.75 + $0.15 = 90 cents
    assert_eq!(
        done.cost,
        Cost { input_tokens: 250_000, output_tokens: 10_000, total_tokens: 260_000, usd_cents: 90 }
    );
    let step_cents: Vec<u32> = done.steps.iter().filter_map(|s| s.cost.map(|c| c.usd_cents)).collect();
    assert_eq!(step_cents, [42, 48], "each model call keeps its own cost");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_anthropic_provider_drives_a_run_too() {
    let w = World::new().await;
    let server = ScriptServer::anthropic([
        call("Looking.", "read_file", json!({"path": "README.md"})),
        answer(&["It is a sample."]),
    ])
    .unwrap();
    let provider = AnthropicProvider::new({
        let mut config = AnthropicConfig::new("claude-test", "test-key");
        config.base_url = server.base_url();
        config
    })
    .unwrap();
    let agent = agent_for(&w.engine, Arc::new(provider));
    let run = agent.send_message(w.thread, "What is it?").await.unwrap();
    assert_eq!(finished(&w.engine, run).await.status, RunStatus::Success);
    assert_eq!(replies(&w.engine, w.thread).last().unwrap(), "It is a sample.");
}
