//! The Anthropic provider against the scripted server.

use std::time::{Duration, Instant};

use coder_agent::provider::{
    AnthropicConfig, AnthropicProvider, ModelEvent, Provider, ProviderError, StopReason, Timeouts, ToolCall,
    Usage,
};
use coder_agent::settings::Prices;
use coder_agent::testing::{Fault, Framing, ScriptServer, ServeOptions, Turn, Wire};
use serde_json::json;

use crate::support::*;

fn provider_for(base_url: String, idle: Duration) -> AnthropicProvider {
    let config = AnthropicConfig {
        base_url,
        model: "claude-test".into(),
        api_key: SECRET.into(),
        timeouts: Timeouts { connect: Duration::from_secs(5), idle },
        allow_insecure_http: false,
    };
    AnthropicProvider::new(config).expect("a valid config")
}

fn provider(server: &ScriptServer) -> AnthropicProvider {
    provider_for(server.base_url(), Duration::from_secs(10))
}

/// Anthropic's events before the first text delta: message_start, ping, content_block_start.
const PREAMBLE: usize = 3;

#[tokio::test]
async fn streams_text_deltas_in_order_then_usage_and_end_turn() {
    let server = ScriptServer::anthropic([Turn::reply(plain_script())]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None);
    assert_eq!(
        got.events,
        plain_script(),
        "text deltas as they came, usage from message_start and message_delta, then the stop reason"
    );
}

#[tokio::test]
async fn survives_lines_and_characters_split_between_reads() {
    let options = ServeOptions { framing: Framing::CloseDelimited, fragment: Some(5) };
    let server = ScriptServer::start(Wire::Anthropic, [Turn::reply(plain_script())], options).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None);
    assert_eq!(got.events, plain_script());
}

#[tokio::test]
async fn assembles_tool_calls_from_partial_json() {
    let server = ScriptServer::anthropic([Turn::reply(tool_script())]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None);
    assert_eq!(
        got.events,
        tool_script(),
        "each tool_use block's partial_json is joined and parsed at its stop"
    );
}

#[tokio::test]
async fn tool_input_that_is_not_json_is_malformed() {
    let call = ToolCall { id: "toolu_x".into(), name: "read_file".into(), input: json!("{\"path\": ") };
    let script = vec![ModelEvent::TextDelta("Reading.".into()), ModelEvent::ToolCall(call)];
    let server = ScriptServer::anthropic([Turn::reply(script)]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.text(), "Reading.");
    assert!(got.tool_calls().is_empty());
    match got.error() {
        ProviderError::Malformed(message) => assert!(message.contains("read_file"), "{message}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn status_500_reports_the_providers_message() {
    let body =
        json!({ "type": "error", "error": { "type": "api_error", "message": "Internal server error" } });
    let server = ScriptServer::anthropic([Turn::fault(Fault::Status(500, body.to_string()))]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert!(got.events.is_empty());
    assert_eq!(got.error(), &ProviderError::Http { status: 500, message: "Internal server error".into() });
}

#[tokio::test]
async fn an_error_event_keeps_the_text_before_it() {
    let error = json!({ "type": "error", "error": { "type": "overloaded_error", "message": "Overloaded" } });
    let raw = format!("event: error\ndata: {error}\n\n");
    let script = vec![ModelEvent::TextDelta("Half an ".into())];
    let server = ScriptServer::anthropic([Turn::faulty(script, Fault::Raw(raw))]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.deltas(), ["Half an "]);
    assert_eq!(
        got.error(),
        &ProviderError::Http { status: 529, message: "Overloaded".into() },
        "an error event gets the status the API gives its type"
    );
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_keeps_earlier_deltas_then_is_disconnected() {
    for framing in [Framing::Chunked, Framing::CloseDelimited] {
        let options = ServeOptions { framing, fragment: None };
        let turn = Turn::faulty(plain_script(), Fault::DropAfter(PREAMBLE + 2));
        let server = ScriptServer::start(Wire::Anthropic, [turn], options).unwrap();
        let got = collect(provider(&server).stream(hello_request())).await;
        assert_eq!(
            got.deltas(),
            ["Hel", "lo, "],
            "the two deltas sent before the drop are kept ({framing:?})"
        );
        assert!(
            matches!(got.error(), ProviderError::Disconnected(_)),
            "a body that ends without message_stop is a lost connection ({framing:?}): {:?}",
            got.error()
        );
    }
}

#[tokio::test]
async fn a_garbage_line_is_malformed_after_the_text_before_it() {
    let server = ScriptServer::anthropic([Turn::faulty(plain_script(), Fault::Malformed)]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.text(), "Hello, wörld ✓");
    assert!(matches!(got.error(), ProviderError::Malformed(_)), "{:?}", got.error());
}

#[tokio::test]
async fn a_stalled_stream_times_out_after_the_idle_timeout() {
    let script = vec![ModelEvent::TextDelta("Thinking".into())];
    let server = ScriptServer::anthropic([Turn::faulty(script, Fault::Stall)]).unwrap();
    let started = Instant::now();
    let got = collect(provider_for(server.base_url(), SHORT_IDLE).stream(hello_request())).await;
    assert_eq!(got.deltas(), ["Thinking"]);
    assert_eq!(got.error(), &ProviderError::Timeout { seconds: 0 });
    let waited = started.elapsed();
    assert!(waited >= SHORT_IDLE && waited < Duration::from_secs(5), "gave up after {waited:?}");
}

#[tokio::test]
async fn a_refused_connection_is_connect() {
    let provider = provider_for(refused_base_url(""), Duration::from_secs(5));
    let got = collect(provider.stream(hello_request())).await;
    assert!(got.events.is_empty());
    assert!(matches!(got.error(), ProviderError::Connect(_)), "{:?}", got.error());
}

#[tokio::test]
async fn the_request_carries_the_conversation_in_anthropic_shape() {
    let server = ScriptServer::anthropic([Turn::reply(plain_script())]).unwrap();
    let got = collect(provider(&server).stream(conversation_request())).await;
    assert_eq!(got.error, None);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v1/messages"));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_secret_only_in(request, "x-api-key", SECRET);

    let body = request.json().expect("a JSON body");
    assert_eq!(body["model"], "special-model");
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 2048);
    assert_eq!(body["system"], "Be brief.", "the system prompt goes apart from the messages");
    assert_eq!(
        body["tools"],
        json!([{
            "name": "list_files",
            "description": "List the files of a folder of the project.",
            "input_schema": list_files_spec().input_schema,
        }])
    );
    assert_eq!(
        body["messages"],
        json!([
            { "role": "user", "content": [{ "type": "text", "text": "Tidy up the notes" }] },
            { "role": "assistant", "content": [
                { "type": "text", "text": "Let me look first." },
                { "type": "tool_use", "id": "call_a", "name": "list_files", "input": { "path": "notes" } },
                { "type": "tool_use", "id": "call_b", "name": "run_command", "input": { "command": "rm -rf notes/tmp" } },
            ] },
            { "role": "user", "content": [
                { "type": "tool_result", "tool_use_id": "call_a", "content": "a.md\nb.md", "is_error": false },
                { "type": "tool_result", "tool_use_id": "call_b", "content": "The person rejected this step.", "is_error": true },
                { "type": "text", "text": "Keep the temp folder." },
            ] },
        ]),
        "both results of the assistant's calls, and the next user text, go in the one user message after it"
    );
}

#[tokio::test]
async fn the_api_key_is_never_shown() {
    let server = ScriptServer::anthropic([]).unwrap();
    let provider = provider(&server);
    let config = AnthropicConfig::new("claude-test", SECRET);
    for shown in [format!("{config:?}"), format!("{provider:?}"), provider.label()] {
        assert!(!shown.contains(SECRET), "the key leaked into {shown}");
    }
    let error = AnthropicProvider::new(AnthropicConfig::new("claude-test", " ")).unwrap_err();
    assert!(
        matches!(error, ProviderError::Config(_)),
        "an empty key is refused before any request: {error:?}"
    );
}

#[tokio::test]
async fn a_stop_reason_the_provider_adds_later_is_passed_on() {
    let script =
        vec![ModelEvent::TextDelta("No.".into()), ModelEvent::Stop(StopReason::Other("refusal".into()))];
    let server = ScriptServer::anthropic([Turn::reply(script)]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.events.last(), Some(&ModelEvent::Stop(StopReason::Other("refusal".into()))));
}

#[tokio::test]
async fn prompt_cache_reads_and_writes_are_reported_and_priced() {
    let usage = Usage {
        input_tokens: 12,
        output_tokens: 5,
        cache_read_input_tokens: 9_000,
        cache_creation_input_tokens: 1_500,
    };
    let script = vec![
        ModelEvent::TextDelta("Cached.".into()),
        ModelEvent::Usage(usage),
        ModelEvent::Stop(StopReason::EndTurn),
    ];
    let server = ScriptServer::anthropic([Turn::reply(script.clone())]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None);
    assert_eq!(
        got.events, script,
        "cache_read_input_tokens and cache_creation_input_tokens of message_start are kept apart from input_tokens"
    );
    let cost = Prices::new(3.0, 15.0).cost(usage);
    assert_eq!(
        cost.input_tokens, 10_512,
        "cached input is input too; Anthropic counts it on top of input_tokens"
    );
}

#[tokio::test]
async fn a_base_url_ending_in_v1_or_a_slash_reaches_v1_messages() {
    for suffix in ["/", "/v1", "/v1/"] {
        let server = ScriptServer::anthropic([Turn::reply(plain_script())]).unwrap();
        let provider = provider_for(format!("{}{suffix}", server.base_url()), Duration::from_secs(10));
        let got = collect(provider.stream(hello_request())).await;
        assert_eq!(got.error, None, "a base URL ending in {suffix:?} works as the LiteLLM docs give it");
        assert_eq!(server.requests()[0].path, "/v1/messages", "never /v1/v1/messages ({suffix:?})");
    }
}

#[tokio::test]
async fn a_404_names_the_address_it_came_from() {
    let server = ScriptServer::anthropic([]).unwrap();
    let provider = provider_for(format!("{}/wrong", server.base_url()), Duration::from_secs(10));
    let got = collect(provider.stream(hello_request())).await;
    match got.error() {
        ProviderError::Http { status: 404, message } => assert!(
            message.contains(&format!("{}/wrong/v1/messages", server.base_url())),
            "a bare 404 does not say the base URL is wrong; the address does: {message}"
        ),
        other => panic!("expected HTTP 404, got {other:?}"),
    }
}
