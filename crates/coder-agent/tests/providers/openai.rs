//! The OpenAI-compatible provider against the scripted server.

use std::time::{Duration, Instant};

use coder_agent::provider::{
    ModelEvent, OpenAiConfig, OpenAiProvider, Provider, ProviderError, StopReason, Timeouts, ToolCall, Usage,
};
use coder_agent::settings::Prices;
use coder_agent::testing::{Fault, Framing, ScriptServer, ServeOptions, Turn, Wire};
use serde_json::{json, Value};

use crate::support::*;

fn provider_for(base_url: String, idle: Duration) -> OpenAiProvider {
    let config = OpenAiConfig {
        base_url,
        model: "llama3".into(),
        api_key: Some(SECRET.into()),
        timeouts: Timeouts { connect: Duration::from_secs(5), idle },
        allow_insecure_http: false,
    };
    OpenAiProvider::new(config).expect("a valid config")
}

fn provider(server: &ScriptServer) -> OpenAiProvider {
    provider_for(server.base_url(), Duration::from_secs(10))
}

#[tokio::test]
async fn streams_text_deltas_in_order_then_usage_and_end_turn() {
    let server = ScriptServer::openai([Turn::reply(plain_script())]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None);
    assert_eq!(
        got.events,
        plain_script(),
        "each content delta is streamed as it came, then usage, then the stop reason"
    );
}

#[tokio::test]
async fn survives_lines_and_characters_split_between_reads() {
    let options = ServeOptions { framing: Framing::Chunked, fragment: Some(3) };
    let server = ScriptServer::start(Wire::OpenAi, [Turn::reply(plain_script())], options).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None);
    assert_eq!(
        got.text(),
        "Hello, wörld ✓",
        "multi-byte characters split between reads are put back together"
    );
    assert_eq!(got.events.last(), Some(&ModelEvent::Stop(StopReason::EndTurn)));
}

#[tokio::test]
async fn assembles_tool_calls_from_argument_fragments() {
    let server = ScriptServer::openai([Turn::reply(tool_script())]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None);
    assert_eq!(
        got.events,
        tool_script(),
        "the argument fragments of each call are joined and parsed into the original input"
    );
}

#[tokio::test]
async fn tool_call_arguments_that_are_not_json_are_malformed() {
    let call = ToolCall { id: "call_x".into(), name: "list_files".into(), input: json!("{\"path\": \"src") };
    let script = vec![
        ModelEvent::TextDelta("Calling.".into()),
        ModelEvent::ToolCall(call),
        ModelEvent::Stop(StopReason::ToolUse),
    ];
    let server = ScriptServer::openai([Turn::reply(script)]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.text(), "Calling.");
    assert!(got.tool_calls().is_empty(), "a call with broken arguments is not passed on");
    match got.error() {
        ProviderError::Malformed(message) => assert!(message.contains("list_files"), "{message}"),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn status_500_reports_the_providers_message() {
    let body =
        json!({ "error": { "message": "model 'llama3' not found, try pulling it first" } }).to_string();
    let server = ScriptServer::openai([Turn::fault(Fault::Status(500, body))]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert!(got.events.is_empty());
    assert_eq!(
        got.error(),
        &ProviderError::Http {
            status: 500,
            message: "model 'llama3' not found, try pulling it first".into()
        }
    );
    assert!(!got.error().to_string().contains(SECRET));
}

#[tokio::test]
async fn an_error_body_that_is_not_json_is_shown_as_text_and_truncated() {
    let body = format!("upstream exploded {}", "x".repeat(2000));
    let server = ScriptServer::openai([Turn::fault(Fault::Status(503, body))]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    match got.error() {
        ProviderError::Http { status: 503, message } => {
            assert!(message.starts_with("upstream exploded"), "{message}");
            assert!(message.chars().count() <= 301, "a long body is cut: {} chars", message.chars().count());
        }
        other => panic!("expected HTTP 503, got {other:?}"),
    }
}

#[tokio::test]
async fn an_error_object_inside_the_stream_keeps_the_text_before_it() {
    let raw = format!("data: {}\n\n", json!({ "error": { "code": 502, "message": "provider went away" } }));
    let script = vec![ModelEvent::TextDelta("Partial ".into())];
    let server = ScriptServer::openai([Turn::faulty(script, Fault::Raw(raw))]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.deltas(), ["Partial "]);
    assert_eq!(got.error(), &ProviderError::Http { status: 502, message: "provider went away".into() });
}

#[tokio::test]
async fn a_connection_dropped_mid_stream_keeps_earlier_deltas_then_is_disconnected() {
    for framing in [Framing::Chunked, Framing::CloseDelimited] {
        let options = ServeOptions { framing, fragment: None };
        let turn = Turn::faulty(plain_script(), Fault::DropAfter(2));
        let server = ScriptServer::start(Wire::OpenAi, [turn], options).unwrap();
        let got = collect(provider(&server).stream(hello_request())).await;
        assert_eq!(
            got.deltas(),
            ["Hel", "lo, "],
            "the two deltas sent before the drop are kept ({framing:?})"
        );
        assert!(
            matches!(got.error(), ProviderError::Disconnected(_)),
            "a body that ends without [DONE] is a lost connection ({framing:?}): {:?}",
            got.error()
        );
    }
}

#[tokio::test]
async fn a_garbage_line_is_malformed_after_the_text_before_it() {
    let server = ScriptServer::openai([Turn::faulty(plain_script(), Fault::Malformed)]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.text(), "Hello, wörld ✓");
    assert!(matches!(got.error(), ProviderError::Malformed(_)), "{:?}", got.error());
    assert!(
        !got.events.iter().any(|event| matches!(event, ModelEvent::Stop(_))),
        "a response that failed does not also report a stop"
    );
}

#[tokio::test]
async fn a_stalled_stream_times_out_after_the_idle_timeout() {
    let script = vec![ModelEvent::TextDelta("Thinking".into())];
    let server =
        ScriptServer::openai([Turn::faulty(script, Fault::Stall), Turn::fault(Fault::Stall)]).unwrap();
    let provider = provider_for(server.base_url(), SHORT_IDLE);

    let started = Instant::now();
    let got = collect(provider.stream(hello_request())).await;
    assert_eq!(got.deltas(), ["Thinking"]);
    assert_eq!(got.error(), &ProviderError::Timeout { seconds: 0 });
    assert!(started.elapsed() < Duration::from_secs(5), "gave up after {:?}", started.elapsed());

    // Headers, then nothing at all.
    let got = collect(provider.stream(hello_request())).await;
    assert!(got.events.is_empty());
    assert!(matches!(got.error(), ProviderError::Timeout { .. }), "{:?}", got.error());
}

#[tokio::test]
async fn a_refused_connection_is_connect() {
    let provider = provider_for(refused_base_url("/v1"), Duration::from_secs(5));
    let got = collect(provider.stream(hello_request())).await;
    assert!(got.events.is_empty());
    assert!(matches!(got.error(), ProviderError::Connect(_)), "{:?}", got.error());
}

#[tokio::test]
async fn a_server_out_of_turns_answers_500() {
    let server = ScriptServer::openai([]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(
        got.error(),
        &ProviderError::Http { status: 500, message: "the script server has no more turns".into() }
    );
}

#[tokio::test]
async fn the_request_carries_the_conversation_in_openai_shape() {
    let server = ScriptServer::openai([Turn::reply(plain_script())]).unwrap();
    let got = collect(provider(&server).stream(conversation_request())).await;
    assert_eq!(got.error, None);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/v1/chat/completions"));
    let body = request.json().expect("a JSON body");
    assert_eq!(body["model"], "special-model", "the request's model wins over the configured one");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"], json!({ "include_usage": true }));
    assert_eq!(body["max_tokens"], 2048);
    assert_eq!(
        body["tools"],
        json!([{
            "type": "function",
            "function": {
                "name": "list_files",
                "description": "List the files of a folder of the project.",
                "parameters": list_files_spec().input_schema,
            },
        }])
    );

    let messages = body["messages"].as_array().expect("messages");
    let roles: Vec<&str> = messages.iter().map(|message| message["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["system", "user", "assistant", "tool", "tool", "user"]);
    assert_eq!(messages[0]["content"], "Be brief.");
    assert_eq!(messages[2]["content"], "Let me look first.");
    let calls = messages[2]["tool_calls"].as_array().expect("the assistant's tool calls");
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["id"], "call_a");
    assert_eq!(calls[0]["type"], "function");
    assert_eq!(calls[0]["function"]["name"], "list_files");
    let arguments = calls[0]["function"]["arguments"].as_str().expect("arguments are a JSON string");
    assert_eq!(serde_json::from_str::<Value>(arguments).unwrap(), json!({ "path": "notes" }));
    assert_eq!(messages[3], json!({ "role": "tool", "tool_call_id": "call_a", "content": "a.md\nb.md" }));
    assert_eq!(
        messages[4],
        json!({ "role": "tool", "tool_call_id": "call_b", "content": "Error: The person rejected this step." }),
        "a rejection is reported to the model as a failed result of its call"
    );
    assert_eq!(messages[5]["content"], "Keep the temp folder.");

    assert_secret_only_in(request, "authorization", &format!("Bearer {SECRET}"));
}

#[tokio::test]
async fn the_api_key_is_never_shown() {
    let server = ScriptServer::openai([]).unwrap();
    let provider = provider(&server);
    let config =
        OpenAiConfig { api_key: Some(SECRET.into()), ..OpenAiConfig::new(server.base_url(), "llama3") };
    for shown in [format!("{config:?}"), format!("{provider:?}"), provider.label()] {
        assert!(!shown.contains(SECRET), "the key leaked into {shown}");
    }
    assert!(format!("{config:?}").contains("redacted"), "Debug says a key is set without showing it");
    assert_eq!(provider.label(), format!("OpenAI-compatible (llama3 at {})", server.base_url()));
}

#[tokio::test]
async fn a_base_url_that_is_not_http_is_a_config_error() {
    let error = OpenAiProvider::new(OpenAiConfig::new("localhost:11434", "llama3")).unwrap_err();
    assert!(matches!(error, ProviderError::Config(_)), "{error:?}");
}

#[tokio::test]
async fn without_usage_no_usage_event_is_invented() {
    let script = vec![ModelEvent::TextDelta("Hi".into()), ModelEvent::Stop(StopReason::MaxTokens)];
    let server = ScriptServer::openai([Turn::reply(script.clone())]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.events, script);
    assert!(!got.events.iter().any(|event| matches!(event, ModelEvent::Usage(Usage { .. }))));
}

#[tokio::test]
async fn cached_prompt_tokens_are_reported_apart_from_uncached_ones() {
    let usage = Usage {
        input_tokens: 30,
        output_tokens: 5,
        cache_read_input_tokens: 70,
        cache_creation_input_tokens: 0,
    };
    let script = vec![
        ModelEvent::TextDelta("Hi".into()),
        ModelEvent::Usage(usage),
        ModelEvent::Stop(StopReason::EndTurn),
    ];
    let server = ScriptServer::openai([Turn::reply(script.clone())]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(
        got.events, script,
        "prompt_tokens 100 with cached_tokens 70 are 30 uncached and 70 cached, not 170"
    );
    assert_eq!(Prices::new(3.0, 15.0).cost(usage).input_tokens, 100, "the cost counts prompt_tokens once");
}

#[tokio::test]
async fn a_string_error_code_mid_stream_is_reported_as_that_status() {
    let raw = format!(
        "data: {}\n\n",
        json!({ "error": { "code": "503", "message": "litellm.ServiceUnavailableError: upstream overloaded" } })
    );
    let server =
        ScriptServer::openai([Turn::faulty(vec![ModelEvent::TextDelta("Par".into())], Fault::Raw(raw))])
            .unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.deltas(), ["Par"]);
    assert_eq!(
        got.error(),
        &ProviderError::Http {
            status: 503,
            message: "litellm.ServiceUnavailableError: upstream overloaded".into()
        },
        "LiteLLM sends the status as a string; it is still the status"
    );

    let raw = format!(
        "data: {}\n\n",
        json!({ "error": { "code": "rate_limit_exceeded", "message": "slow down" } })
    );
    let server = ScriptServer::openai([Turn::fault(Fault::Raw(raw))]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(
        got.error(),
        &ProviderError::Http { status: 500, message: "slow down (code rate_limit_exceeded)".into() },
        "a code that is no HTTP status is kept in the message"
    );
}

#[tokio::test]
async fn tool_call_fragments_after_the_finish_reason_join_their_call() {
    // The arguments lack their closing brace when the finish reason comes; LiteLLM sends it after.
    let call =
        ToolCall { id: "call_late".into(), name: "list_files".into(), input: json!("{\"path\": \"src\"") };
    let script = vec![ModelEvent::ToolCall(call), ModelEvent::Stop(StopReason::ToolUse)];
    let late = |fragment: Value| {
        format!("data: {}\n\n", json!({ "choices": [{ "index": 0, "delta": { "tool_calls": [fragment] } }] }))
    };
    let raw = [
        late(json!({ "function": { "arguments": "}" } })),
        late(json!({ "index": 0, "function": { "arguments": "" } })),
        "data: [DONE]\n\n".to_owned(),
    ]
    .concat();
    let server = ScriptServer::openai([Turn::faulty(script, Fault::Raw(raw))]).unwrap();
    let got = collect(provider(&server).stream(hello_request())).await;
    assert_eq!(got.error, None, "a late fragment must neither panic the parser nor fail the response");
    assert_eq!(
        got.events,
        [
            ModelEvent::ToolCall(ToolCall {
                id: "call_late".into(),
                name: "list_files".into(),
                input: json!({ "path": "src" })
            }),
            ModelEvent::Stop(StopReason::ToolUse),
        ],
        "the late fragment, with or without index, completes the call it belongs to"
    );
}
