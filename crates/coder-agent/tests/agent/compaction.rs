//! Threads that outgrow the model's context window: summaries written by the model over real
//! HTTP, requests that stay within the window, calls that keep their results.

use std::sync::Arc;

use coder_agent::context::{self, SUMMARY_INSTRUCTIONS, SUMMARY_STEP};
use coder_agent::provider::{
    ModelEvent, ModelMessage, ModelRequest, ModelStream, Provider, StopReason, ToolCall, ToolSpec,
};
use coder_agent::testing::{ScriptServer, Turn};
use coder_agent::{Agent, ProviderKind, Settings};
use coder_domain::*;
use serde_json::{json, Value};

use crate::support::*;

/// The window of the scripted model: about 2,000 tokens for messages besides Coder's
/// instructions and tools (which the test measures and adds).
const ROOM: u64 = 2_000;

/// Sends summary requests to one server and conversation requests to another, so each script
/// stays in step whenever the runner decides to summarize.
struct Routed {
    chat: Arc<dyn Provider>,
    summaries: Arc<dyn Provider>,
}

impl Provider for Routed {
    fn label(&self) -> String {
        "scripted model and summarizer".into()
    }

    fn stream(&self, request: ModelRequest) -> ModelStream {
        if request.system.as_deref() == Some(SUMMARY_INSTRUCTIONS) {
            self.summaries.stream(request)
        } else {
            self.chat.stream(request)
        }
    }
}

fn settings(window: u64) -> Settings {
    Settings {
        provider: ProviderKind::Openai,
        base_url: "http://127.0.0.1:9/v1".into(),
        model: "test-model".into(),
        prices: prices(),
        max_turns: 1_000,
        context_window_tokens: Some(window),
        ..Settings::default()
    }
}

fn routed_agent(engine: &Engine, chat: &ScriptServer, summaries: &ScriptServer, window: u64) -> Agent {
    let provider = Arc::new(Routed { chat: openai(chat), summaries: openai(summaries) });
    Agent::new(engine.clone(), provider, settings(window))
}

use coder_engine::Engine;

/// A turn that reads `notes.txt`.
fn read_notes(i: usize) -> Turn {
    Turn::reply(vec![
        ModelEvent::TextDelta(format!("Turn {i}: I will read the notes to check the next point. ")),
        ModelEvent::ToolCall(ToolCall {
            id: format!("call_{i}"),
            name: "read_file".into(),
            input: json!({ "path": "notes.txt" }),
        }),
        usage(300, 40),
        ModelEvent::Stop(StopReason::ToolUse),
    ])
}

/// A turn that answers at some length.
fn long_answer(i: usize) -> Turn {
    let text = format!("Answer {i}: {}", "The notes say the parser must keep its offsets. ".repeat(6));
    Turn::reply(vec![ModelEvent::TextDelta(text), usage(300, 80), ModelEvent::Stop(StopReason::EndTurn)])
}

fn summary_turn(i: usize) -> Turn {
    let text = format!(
        "Summary {i}: the person asks about the parser; Coder read notes.txt many times; decided to keep offsets; open task: finish the parser."
    );
    Turn::reply(vec![ModelEvent::TextDelta(text), usage(500, 60), ModelEvent::Stop(StopReason::EndTurn)])
}

/// A request on the OpenAI wire, read back into the request it was made from.
fn request_of(body: &Value) -> ModelRequest {
    let mut system = None;
    let mut messages = Vec::new();
    for m in body["messages"].as_array().expect("messages") {
        let text = m["content"].as_str().unwrap_or_default().to_string();
        match m["role"].as_str().unwrap() {
            "system" => system = Some(text),
            "user" => messages.push(ModelMessage::User { content: text }),
            "assistant" => {
                let tool_calls = m["tool_calls"]
                    .as_array()
                    .map(|calls| {
                        calls
                            .iter()
                            .map(|c| ToolCall {
                                id: c["id"].as_str().unwrap().into(),
                                name: c["function"]["name"].as_str().unwrap().into(),
                                input: serde_json::from_str(c["function"]["arguments"].as_str().unwrap())
                                    .unwrap(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                messages.push(ModelMessage::Assistant { content: text, tool_calls });
            }
            "tool" => messages.push(ModelMessage::ToolResult {
                tool_call_id: m["tool_call_id"].as_str().unwrap().into(),
                content: text,
                is_error: false,
            }),
            other => panic!("unexpected role {other}"),
        }
    }
    let tools = body["tools"]
        .as_array()
        .map(|tools| {
            tools
                .iter()
                .map(|t| ToolSpec {
                    name: t["function"]["name"].as_str().unwrap().into(),
                    description: t["function"]["description"].as_str().unwrap().into(),
                    input_schema: t["function"]["parameters"].clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let max_tokens = body["max_tokens"].as_u64().unwrap() as u32;
    ModelRequest { model: String::new(), system, messages, tools, max_tokens }
}

/// Panics unless every tool call has exactly one result after it and every result a call.
fn assert_paired(request: &ModelRequest, which: usize) {
    let mut open: Vec<&str> = Vec::new();
    for message in &request.messages {
        match message {
            ModelMessage::Assistant { tool_calls, .. } => {
                open.extend(tool_calls.iter().map(|c| c.id.as_str()))
            }
            ModelMessage::ToolResult { tool_call_id, .. } => {
                let at = open.iter().position(|id| id == tool_call_id);
                assert!(at.is_some(), "request {which}: a result without its call ({tool_call_id})");
                open.remove(at.unwrap());
            }
            _ => {}
        }
    }
    assert!(open.is_empty(), "request {which}: calls without their results: {open:?}");
}

/// Coder's instructions and tools, in tokens, measured on a request it sent.
fn fixed_of(request: &ModelRequest) -> u64 {
    context::fixed_tokens(request.system.as_deref(), &request.tools)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_turns_stay_within_a_small_window() {
    let w = World::new().await;
    let notes = "Parser notes: keep byte offsets, not character offsets; spans are half-open. ".repeat(8);
    std::fs::write(w.project_dir.path().join("notes.txt"), &notes).unwrap();

    // Measure what every request sends besides its messages with one call in a roomy window.
    let probe = ScriptServer::openai([answer(&["ok"])]).unwrap();
    let probe_agent = Agent::new(w.engine.clone(), openai(&probe), settings(1_000_000));
    let probe_thread = ThreadId::new();
    w.engine
        .dispatch(Command::CreateThread {
            thread_id: probe_thread,
            title: "probe".into(),
            project_id: Some(w.project),
        })
        .await
        .unwrap();
    let run = probe_agent.send_message(probe_thread, "hello").await.unwrap();
    finished(&w.engine, run).await;
    let fixed = fixed_of(&request_of(&probe.requests()[0].json().unwrap()));
    let window = (fixed + ROOM) * 100 / u64::from(context::THRESHOLD_PERCENT);

    let runs = 100;
    let chat = ScriptServer::openai((0..runs).flat_map(|i| [read_notes(i), long_answer(i)])).unwrap();
    let summaries = ScriptServer::openai((0..runs).map(summary_turn)).unwrap();
    let agent = routed_agent(&w.engine, &chat, &summaries, window);
    for i in 0..runs {
        let run = agent
            .send_message(w.thread, &format!("Question {i}: what do the notes say next?"))
            .await
            .unwrap();
        let done = finished(&w.engine, run).await;
        assert_eq!(done.status, RunStatus::Success, "run {i}: {:?}", w.engine.run_view(run).unwrap().run);
    }

    let requests = chat.requests();
    assert_eq!(requests.len(), 200, "every turn asked the model once");
    for (i, recorded) in requests.iter().enumerate() {
        let request = request_of(&recorded.json().unwrap());
        let tokens = context::request_tokens(&request);
        assert!(
            tokens + u64::from(request.max_tokens) <= window,
            "request {i} takes {tokens} tokens and asks for {} more, past the window of {window}",
            request.max_tokens
        );
        assert!(
            tokens <= window * 80 / 100,
            "request {i} ({tokens} tokens) was summarized down below the threshold"
        );
        assert_paired(&request, i);
    }
    let last = request_of(&requests[199].json().unwrap());
    assert!(
        matches!(&last.messages[0], ModelMessage::User { content } if content.starts_with("Summary of the earlier conversation:")),
        "late requests open with the summary: {:?}",
        last.messages[0]
    );
    let summary_requests = summaries.requests();
    assert!(
        summary_requests.len() >= 10,
        "a thread this long is summarized again and again ({})",
        summary_requests.len()
    );
    for (i, recorded) in summary_requests.iter().enumerate() {
        let request = request_of(&recorded.json().unwrap());
        let tokens = context::request_tokens(&request);
        assert!(
            tokens + u64::from(request.max_tokens) <= window,
            "summary request {i} takes {tokens} tokens"
        );
        assert!(request.tools.is_empty(), "a summary request offers no tools");
    }
    let second = request_of(&summary_requests[1].json().unwrap());
    assert!(
        matches!(&second.messages[0], ModelMessage::User { content } if content.contains("Summary 0:")),
        "each summary folds in the one before it"
    );

    // The log keeps everything: every question and answer is in the chat, and each summary is
    // an event saying why it was made.
    let view = w.engine.chat_view(w.thread).unwrap();
    let messages: Vec<&MessageView> = view
        .entries
        .iter()
        .filter_map(|e| match e {
            ChatEntry::Message(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 300, "100 questions and 200 replies, none removed");
    assert!(messages.iter().any(|m| m.content == "Question 0: what do the notes say next?"));
    let compactions: Vec<_> = w
        .engine
        .thread_events(w.thread)
        .unwrap()
        .into_iter()
        .filter_map(|e| match e.event {
            DomainEvent::ThreadCompacted { trigger, run_id, replaced_tokens, summary_tokens, .. } => {
                Some((trigger, run_id, replaced_tokens, summary_tokens))
            }
            _ => None,
        })
        .collect();
    assert_eq!(compactions.len(), summary_requests.len(), "one summary per request: each fit in one");
    for (trigger, run_id, replaced, summary) in &compactions {
        assert_eq!(trigger, &CompactionTrigger::Automatic { window_tokens: window, threshold_percent: 80 });
        assert!(run_id.is_some() && summary < replaced, "{replaced} → {summary}");
    }
    let shown = messages.iter().filter(|m| m.compaction.is_some()).count();
    assert_eq!(shown, compactions.len(), "the chat marks every summarized stretch");
    let steps: Vec<StepRun> = w
        .engine
        .with_state(|s| s.runs.values().flat_map(|r| r.steps.clone()).collect::<Vec<_>>())
        .into_iter()
        .filter(|s| s.description == SUMMARY_STEP)
        .collect();
    assert_eq!(steps.len(), compactions.len(), "each summary is a step of its own");
    assert!(
        steps.iter().all(|s| s.cost.is_some_and(|c| c.input_tokens == 500 && c.output_tokens == 60)),
        "each summary step carries its cost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_summary_fails_the_run_instead_of_sending_too_much() {
    let w = World::new().await;
    let filler = "Earlier discussion about the build. ".repeat(100);
    let chat = ScriptServer::openai([answer(&["first"]), answer(&["never sent"])]).unwrap();
    let summaries = ScriptServer::openai([Turn::fault(coder_agent::testing::Fault::Status(
        500,
        r#"{"error":{"message":"summarizer down"}}"#.into(),
    ))])
    .unwrap();
    let agent = routed_agent(&w.engine, &chat, &summaries, 1_000_000);
    let run = agent.send_message(w.thread, &filler).await.unwrap();
    finished(&w.engine, run).await;
    let fixed = fixed_of(&request_of(&chat.requests()[0].json().unwrap()));
    // A window the thread now overflows.
    let agent = routed_agent(&w.engine, &chat, &summaries, (fixed + 900) * 100 / 80);
    let run = agent.send_message(w.thread, "go on").await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Failed);
    assert_eq!(chat.requests().len(), 1, "the over-long request was never sent");
    let step = done.steps.iter().find(|s| s.description == SUMMARY_STEP).expect("a summary step");
    assert!(
        matches!(&step.result, Some(StepResult::Failed { error }) if error.contains("could not summarize") && error.contains("summarizer down")),
        "{:?}",
        step.result
    );
    let reason = run_events(&w.engine, run).last().unwrap().metadata.get(coder_agent::META_REASON).cloned();
    assert!(reason.is_some_and(|r| r.contains("could not summarize")), "the run says why it failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resumed_run_sends_the_summary_not_the_old_messages() {
    let w = World::new().await;
    let filler = "Earlier discussion about the build. ".repeat(100);
    let first = ScriptServer::openai([answer(&["noted"])]).unwrap();
    let agent = w.agent(&first);
    let run = agent.send_message(w.thread, &filler).await.unwrap();
    finished(&w.engine, run).await;
    drop(agent);
    let fixed = fixed_of(&request_of(&first.requests()[0].json().unwrap()));
    let window = (fixed + 900) * 100 / 80;

    // The next model call passes the threshold: the thread is summarized, then the model asks
    // for a write, which waits for approval when the app quits.
    let chat =
        ScriptServer::openai([call("Writing.", "write_file", json!({"path": "out.txt", "content": "x\n"}))])
            .unwrap();
    let summaries = ScriptServer::openai([summary_turn(0)]).unwrap();
    let agent = routed_agent(&w.engine, &chat, &summaries, window);
    let run = agent.send_message(w.thread, "Write out.txt").await.unwrap();
    let waiting_run = waiting(&w.engine, run).await;
    let step = waiting_step(&waiting_run);
    assert_eq!(summaries.requests().len(), 1, "the thread was summarized before the call");
    let w = w.restart(agent).await;

    let chat = ScriptServer::openai([answer(&["Wrote it."])]).unwrap();
    let summaries = ScriptServer::openai([]).unwrap();
    let agent = routed_agent(&w.engine, &chat, &summaries, window);
    agent.resume_all().unwrap();
    agent.approve(run, step, Approver::Person).await.unwrap();
    assert_eq!(finished(&w.engine, run).await.status, RunStatus::Success);
    let request = request_of(&chat.requests()[0].json().unwrap());
    let ModelMessage::User { content } = &request.messages[0] else { panic!("{:?}", request.messages[0]) };
    assert!(content.starts_with("Summary of the earlier conversation:\n\nSummary 0:"), "{content}");
    assert!(
        !request.messages.iter().any(|m| matches!(m, ModelMessage::User { content } if content == &filler)),
        "the summarized message is not sent again"
    );
    assert!(request
        .messages
        .iter()
        .any(|m| matches!(m, ModelMessage::User { content } if content == "Write out.txt")));
    assert_paired(&request, 0);
    assert!(summaries.requests().is_empty(), "the summary recorded before the restart is used as it is");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summarizing_by_hand_is_a_small_run_recorded_as_manual() {
    let w = World::new().await;
    let first = ScriptServer::openai([answer(&["one"]), answer(&["two"])]).unwrap();
    let agent = w.agent(&first);
    for text in ["first question", "second question"] {
        let run = agent.send_message(w.thread, text).await.unwrap();
        finished(&w.engine, run).await;
    }
    let replies: Vec<MessageId> = w
        .engine
        .chat_view(w.thread)
        .unwrap()
        .entries
        .iter()
        .filter_map(|e| match e {
            ChatEntry::Message(m) if m.role == Role::Assistant => Some(m.id),
            _ => None,
        })
        .collect();
    let summaries = ScriptServer::openai([summary_turn(7), summary_turn(8)]).unwrap();
    let agent = Agent::new(w.engine.clone(), openai(&summaries), settings(100_000));
    let run = agent.summarize(w.thread, replies[0]).await.unwrap();
    let done = finished(&w.engine, run).await;
    assert_eq!(done.status, RunStatus::Success);
    assert_eq!(done.steps.len(), 1);
    assert_eq!(done.steps[0].description, SUMMARY_STEP);
    let request = request_of(&summaries.requests()[0].json().unwrap());
    let ModelMessage::User { content } = &request.messages[0] else { panic!() };
    assert!(content.contains("Person: first question") && content.contains("Coder: one"), "{content}");
    assert!(!content.contains("second question"), "only the messages up to the chosen one are summarized");

    let view = w.engine.chat_view(w.thread).unwrap();
    let marked: Vec<&CompactionView> = view
        .entries
        .iter()
        .filter_map(|e| match e {
            ChatEntry::Message(m) => m.compaction.as_ref(),
            _ => None,
        })
        .collect();
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0].trigger, CompactionTrigger::Manual);
    assert!(marked[0].summary.starts_with("Summary 7:"));

    let again = agent.summarize(w.thread, replies[0]).await.unwrap_err();
    assert_eq!(again.code(), "invalid_input", "{again}");
    let unknown = agent.summarize(w.thread, MessageId::new()).await.unwrap_err();
    assert_eq!(unknown.code(), "not_found");
    assert_eq!(summaries.requests().len(), 1, "a refused summary asks the model nothing");
    let runs = w.engine.with_state(|s| s.runs.len());
    assert_eq!(runs, 3, "a refused summary starts no run");
}
