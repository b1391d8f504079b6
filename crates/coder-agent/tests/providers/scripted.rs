//! The scripted provider: recorded turns, and the offline demo.

use std::time::{Duration, Instant};

use coder_agent::provider::{
    ModelEvent, ModelMessage, ModelRequest, Provider, ProviderError, ScriptedProvider, StopReason, ToolCall,
    ToolSpec, DEMO_LABEL,
};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn plays_turns_in_order_then_says_the_script_is_over() {
    let first = plain_script();
    let second = tool_script();
    let provider = ScriptedProvider::new(vec![first.clone(), second.clone()]);

    assert_eq!(collect(provider.stream(hello_request())).await.events, first);
    assert_eq!(collect(provider.stream(conversation_request())).await.events, second);
    let third = collect(provider.stream(hello_request())).await;
    assert!(third.events.is_empty());
    assert_eq!(third.error(), &ProviderError::Config("the script has no more turns".into()));

    let requests = provider.requests();
    assert_eq!(requests, [hello_request(), conversation_request(), hello_request()], "every request is kept");
}

#[tokio::test]
async fn a_scripted_fault_ends_the_turn_after_the_text_before_it() {
    let provider = ScriptedProvider::with_results(vec![vec![
        Ok(ModelEvent::TextDelta("Part".into())),
        Err(ProviderError::Disconnected("scripted".into())),
        Ok(ModelEvent::TextDelta("never sent".into())),
    ]]);
    let got = collect(provider.stream(hello_request())).await;
    assert_eq!(got.deltas(), ["Part"]);
    assert_eq!(got.error(), &ProviderError::Disconnected("scripted".into()));
}

#[tokio::test]
async fn a_delay_spaces_the_deltas() {
    let provider = ScriptedProvider::new(vec![plain_script()]).with_delay(Duration::from_millis(30));
    let started = Instant::now();
    let got = collect(provider.stream(hello_request())).await;
    assert_eq!(got.events, plain_script());
    assert!(started.elapsed() >= Duration::from_millis(120), "5 items, 4 pauses: {:?}", started.elapsed());
}

fn demo_tools() -> Vec<ToolSpec> {
    let read_file = ToolSpec {
        name: "read_file".into(),
        description: "Read a file.".into(),
        input_schema: json!({
            "type": "object",
            "properties": { "path": { "type": "string" }, "max_lines": { "type": "integer" } },
            "required": ["path"],
        }),
    };
    vec![list_files_spec(), read_file]
}

fn demo_request(messages: Vec<ModelMessage>) -> ModelRequest {
    ModelRequest { model: String::new(), system: None, messages, tools: demo_tools(), max_tokens: 1024 }
}

/// The demo's reply, which must be a complete response.
async fn demo_reply(provider: &ScriptedProvider, messages: Vec<ModelMessage>) -> (String, Option<ToolCall>) {
    let got = collect(provider.stream(demo_request(messages))).await;
    assert_eq!(got.error, None);
    let calls = got.tool_calls();
    assert!(calls.len() <= 1, "the demo calls one tool at a time: {calls:?}");
    let stop = got.events.last().cloned();
    let call = calls.first().map(|call| (*call).clone());
    let expected = if call.is_some() { StopReason::ToolUse } else { StopReason::EndTurn };
    assert_eq!(stop, Some(ModelEvent::Stop(expected)));
    assert!(got.deltas().len() > 1, "the demo streams its text in several deltas");
    (got.text(), call)
}

#[tokio::test]
async fn the_demo_is_labelled_and_walks_through_list_read_answer() {
    let provider = ScriptedProvider::demo().with_delay(Duration::ZERO);
    assert_eq!(provider.label(), DEMO_LABEL);
    assert!(provider.label().contains("Demo") && provider.label().contains("no model"));

    let mut messages = vec![ModelMessage::User { content: "What is this project?".into() }];
    let (text, call) = demo_reply(&provider, messages.clone()).await;
    assert!(text.contains("demo") && text.contains("no model"), "the demo says it is one: {text}");
    let list = call.expect("the demo lists the files first");
    assert_eq!((list.name.as_str(), &list.input), ("list_files", &json!({ "path": "." })));

    messages.push(ModelMessage::Assistant { content: text, tool_calls: vec![list.clone()] });
    messages.push(ModelMessage::ToolResult {
        tool_call_id: list.id.clone(),
        content: "Cargo.toml\nREADME.md\nsrc/\nsrc/main.rs".into(),
        is_error: false,
    });
    let (text, call) = demo_reply(&provider, messages.clone()).await;
    assert!(text.contains("(Demo)"), "{text}");
    let read = call.expect("a README in the listing is read");
    assert_eq!((read.name.as_str(), &read.input), ("read_file", &json!({ "path": "README.md" })));
    assert_ne!(read.id, list.id, "each call has its own id");

    messages.push(ModelMessage::Assistant { content: text, tool_calls: vec![read.clone()] });
    messages.push(ModelMessage::ToolResult {
        tool_call_id: read.id,
        content: "\n# Frobnicator\n\nIt frobs.\n".into(),
        is_error: false,
    });
    let (text, call) = demo_reply(&provider, messages).await;
    assert_eq!(call, None, "the demo answers after reading");
    assert!(text.contains("# Frobnicator"), "the answer quotes the README's first line: {text}");
    assert!(text.contains("real model"), "the answer says how to get a real one: {text}");
}

#[tokio::test]
async fn the_demo_answers_without_reading_when_there_is_no_readme() {
    let provider = ScriptedProvider::demo().with_delay(Duration::ZERO);
    let list =
        ToolCall { id: "demo_call_1".into(), name: "list_files".into(), input: json!({ "path": "." }) };
    let messages = vec![
        ModelMessage::User { content: "hi".into() },
        ModelMessage::Assistant { content: String::new(), tool_calls: vec![list] },
        ModelMessage::ToolResult {
            tool_call_id: "demo_call_1".into(),
            content: "main.py\ndocs/readme.md".into(),
            is_error: false,
        },
    ];
    let (text, call) = demo_reply(&provider, messages).await;
    assert_eq!(call, None, "a README in a subfolder is not the project's README");
    assert!(text.contains("2 entries"), "{text}");
}

#[tokio::test]
async fn the_demo_calls_only_tools_it_is_offered() {
    let provider = ScriptedProvider::demo().with_delay(Duration::ZERO);
    let request =
        ModelRequest { tools: Vec::new(), ..demo_request(vec![ModelMessage::User { content: "hi".into() }]) };
    let got = collect(provider.stream(request)).await;
    assert!(got.tool_calls().is_empty());
    assert_eq!(got.events.last(), Some(&ModelEvent::Stop(StopReason::EndTurn)));
    assert!(got.text().contains("demo"));
}

#[tokio::test]
async fn the_demo_stops_when_its_step_was_rejected() {
    let provider = ScriptedProvider::demo().with_delay(Duration::ZERO);
    let list =
        ToolCall { id: "demo_call_1".into(), name: "list_files".into(), input: json!({ "path": "." }) };
    let messages = vec![
        ModelMessage::User { content: "hi".into() },
        ModelMessage::Assistant { content: String::new(), tool_calls: vec![list] },
        ModelMessage::ToolResult {
            tool_call_id: "demo_call_1".into(),
            content: "The person rejected this step".into(),
            is_error: true,
        },
    ];
    let (text, call) = demo_reply(&provider, messages).await;
    assert_eq!(call, None, "after a rejection the demo does not try again");
    assert!(text.contains("The person rejected this step"), "{text}");
}
