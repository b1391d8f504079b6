//! What a server sends is bounded: an endless line, too many tool calls, or too much argument
//! text ends the response with `TooLarge`, after the text that came before it.

use std::time::Duration;

use coder_agent::provider::limits::{
    MAX_LINE_BYTES, MAX_TOOL_ARGUMENT_BYTES, MAX_TOOL_CALLS, MAX_TOTAL_TOOL_ARGUMENT_BYTES,
};
use coder_agent::provider::{
    AnthropicConfig, AnthropicProvider, ModelEvent, OpenAiConfig, OpenAiProvider, Provider, ProviderError,
    StopReason, Timeouts, ToolCall,
};
use coder_agent::testing::{Fault, ScriptServer, Turn};
use serde_json::json;

use crate::support::*;

fn timeouts() -> Timeouts {
    Timeouts { connect: Duration::from_secs(5), idle: Duration::from_secs(10) }
}

fn openai(server: &ScriptServer) -> OpenAiProvider {
    let config = OpenAiConfig { timeouts: timeouts(), ..OpenAiConfig::new(server.base_url(), "llama3") };
    OpenAiProvider::new(config).unwrap()
}

fn anthropic(server: &ScriptServer) -> AnthropicProvider {
    let config = AnthropicConfig {
        base_url: server.base_url(),
        timeouts: timeouts(),
        ..AnthropicConfig::new("claude-test", SECRET)
    };
    AnthropicProvider::new(config).unwrap()
}

fn too_large(error: &ProviderError, about: &str) {
    match error {
        ProviderError::TooLarge(message) => assert!(message.contains(about), "{message} should say {about}"),
        other => panic!("expected TooLarge about {about}, got {other:?}"),
    }
}

/// An OpenAI chunk carrying one tool-call fragment.
fn openai_fragment(index: usize, arguments: &str) -> String {
    let fragment = json!({ "index": index, "id": format!("call_{index}"), "function": { "name": "write_file", "arguments": arguments } });
    format!("data: {}\n\n", json!({ "choices": [{ "index": 0, "delta": { "tool_calls": [fragment] } }] }))
}

#[tokio::test]
async fn a_line_without_end_is_too_large_after_the_text_before_it() {
    let endless = format!("data: {}", "x".repeat(MAX_LINE_BYTES + 1));
    let script = vec![ModelEvent::TextDelta("Before ".into())];
    let server = ScriptServer::openai([Turn::faulty(script, Fault::Raw(endless))]).unwrap();
    let got = collect(openai(&server).stream(hello_request())).await;
    assert_eq!(got.deltas(), ["Before "], "what came before the endless line is kept");
    too_large(got.error(), "line");
}

#[tokio::test]
async fn more_tool_calls_than_the_limit_are_refused() {
    let calls: Vec<ModelEvent> = (0..=MAX_TOOL_CALLS)
        .map(|n| {
            ModelEvent::ToolCall(ToolCall {
                id: format!("c{n}"),
                name: "list_files".into(),
                input: json!({}),
            })
        })
        .chain([ModelEvent::Stop(StopReason::ToolUse)])
        .collect();
    let openai_server = ScriptServer::openai([Turn::reply(calls.clone())]).unwrap();
    let got = collect(openai(&openai_server).stream(hello_request())).await;
    assert!(got.tool_calls().is_empty(), "no call of an over-long response is run");
    too_large(got.error(), &MAX_TOOL_CALLS.to_string());

    let anthropic_server = ScriptServer::anthropic([Turn::reply(calls)]).unwrap();
    let got = collect(anthropic(&anthropic_server).stream(hello_request())).await;
    assert!(got.tool_calls().len() <= MAX_TOOL_CALLS, "calls beyond the limit are never passed on");
    too_large(got.error(), &MAX_TOOL_CALLS.to_string());
}

#[tokio::test]
async fn arguments_of_one_call_over_the_limit_are_refused() {
    let raw = openai_fragment(0, &"a".repeat(MAX_TOOL_ARGUMENT_BYTES + 1));
    let server = ScriptServer::openai([Turn::fault(Fault::Raw(raw))]).unwrap();
    let got = collect(openai(&server).stream(hello_request())).await;
    too_large(got.error(), "write_file");

    let start = json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "tool_use", "id": "t", "name": "write_file", "input": {} } });
    let half = "b".repeat(MAX_TOOL_ARGUMENT_BYTES / 2 + 1);
    let delta = json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "input_json_delta", "partial_json": half } });
    let raw = format!("data: {start}\n\ndata: {delta}\n\ndata: {delta}\n\n");
    let server = ScriptServer::anthropic([Turn::fault(Fault::Raw(raw))]).unwrap();
    let got = collect(anthropic(&server).stream(hello_request())).await;
    too_large(got.error(), "write_file");
}

#[tokio::test]
async fn arguments_of_all_calls_together_over_the_limit_are_refused() {
    let each = MAX_TOOL_ARGUMENT_BYTES - 1;
    let count = MAX_TOTAL_TOOL_ARGUMENT_BYTES / each + 1;
    let raw: String = (0..count).map(|index| openai_fragment(index, &"c".repeat(each))).collect();
    let server = ScriptServer::openai([Turn::fault(Fault::Raw(raw))]).unwrap();
    let got = collect(openai(&server).stream(hello_request())).await;
    too_large(got.error(), "all tool calls");
}
