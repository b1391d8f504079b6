//! Property tests of the stream decoding shared by the HTTP providers: the SSE decoder and each
//! provider's response parser, fed bytes cut at arbitrary points.
//!
//! Invariants:
//! - any bytes, cut anywhere, give events or a `ProviderError` and never a panic;
//! - where a body is cut between reads does not change what it decodes to;
//! - a valid response, as the script server renders it, decodes to the script it came from.

use proptest::prelude::*;
use serde_json::{json, Value};

use super::sse::{SseDecoder, SseEvent};
use super::{anthropic, openai, ModelEvent, ProviderError, StopReason, ToolCall, Usage};
use crate::testing::wire;

/// Enough cases to find a bad cut, few enough to keep the suite fast.
const CASES: u32 = 256;

/// What a body decoded to: its events, and the fault that ended it, if any.
#[derive(Debug, PartialEq)]
struct Decoded<T> {
    events: Vec<T>,
    error: Option<ProviderError>,
}

/// `bytes` cut at `cuts` (positions, taken modulo the length and sorted).
fn pieces(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut cuts: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::new();
    let mut start = 0;
    for cut in cuts.into_iter().chain([bytes.len()]) {
        pieces.push(bytes[start..cut].to_vec());
        start = cut;
    }
    pieces
}

/// The SSE events of `bytes` fed in `cuts`-sized pieces, as `SseBody` reads them.
fn sse(bytes: &[u8], cuts: &[usize]) -> Decoded<SseEvent> {
    let mut decoder = SseDecoder::default();
    let mut events = Vec::new();
    for piece in pieces(bytes, cuts) {
        if let Err(error) = decoder.push(&piece, &mut events) {
            return Decoded { events, error: Some(error) };
        }
    }
    match decoder.finish() {
        Ok(last) => {
            events.extend(last);
            Decoded { events, error: None }
        }
        Err(error) => Decoded { events, error: Some(error) },
    }
}

/// Which provider's parser reads the events.
#[derive(Debug, Clone, Copy)]
enum Parser {
    OpenAi,
    Anthropic,
}

/// The model events of a whole body, as a provider's `run` produces them: the parser's events
/// until it says the response is over, or the first fault, or `Disconnected` at a body that
/// ends early.
fn model(parser: Parser, bytes: &[u8], cuts: &[usize]) -> Decoded<ModelEvent> {
    let decoded = sse(bytes, cuts);
    let mut openai = openai::Response::default();
    let mut anthropic = anthropic::Response::default();
    let mut events = Vec::new();
    for event in &decoded.events {
        let step = match parser {
            Parser::OpenAi => openai.on_data(&event.data),
            Parser::Anthropic => anthropic.on_data(&event.data),
        };
        match step {
            Ok((more, done)) => {
                events.extend(more);
                if done {
                    return Decoded { events, error: None };
                }
            }
            Err(error) => return Decoded { events, error: Some(error) },
        }
    }
    let error = decoded.error.unwrap_or_else(|| ProviderError::Disconnected("the body ended".into()));
    Decoded { events, error: Some(error) }
}

/// Checks the contract every response keeps: it ends in exactly one of a `Stop` or an error.
fn assert_well_formed(decoded: &Decoded<ModelEvent>) {
    let stops = decoded.events.iter().filter(|event| matches!(event, ModelEvent::Stop(_))).count();
    match &decoded.error {
        None => assert!(
            stops == 1 && matches!(decoded.events.last(), Some(ModelEvent::Stop(_))),
            "a response without error ends with one Stop: {:?}",
            decoded.events
        ),
        Some(error) => {
            assert_eq!(stops, 0, "a failed response reports no stop: {:?}", decoded.events);
            assert!(!error.to_string().is_empty(), "an error says what went wrong");
        }
    }
}

/// Bytes that look like an event stream often enough to reach the parsers' branches.
fn stream_soup() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"event: ".to_vec()),
        Just(b": comment".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n\n".to_vec()),
        Just(b"[DONE]".to_vec()),
        Just(br#"{"type":"message_stop"}"#.to_vec()),
        Just(br#"{"choices":[{"index":0,"delta":{"content":"hi"}}]}"#.to_vec()),
        Just("é✓".as_bytes().to_vec()),
        Just(vec![0xff, 0xc3]),
        prop::collection::vec(any::<u8>(), 0..16),
    ];
    prop::collection::vec(token, 0..40).prop_map(|tokens| tokens.concat())
}

/// A short JSON text, valid or not, as tool-call argument fragments are.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("\"path\"".to_owned()),
        Just(":".to_owned()),
        Just("\"a\"".to_owned()),
        Just("[1,".to_owned()),
        "[a-z{}\":,]{0,6}",
    ]
}

fn maybe<T: std::fmt::Debug + Clone>(value: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    prop::option::of(value)
}

/// An index as servers send it, including absurd ones.
fn index() -> impl Strategy<Value = Value> {
    prop_oneof![4 => (0_u64..3).prop_map(|index| json!(index)), 1 => Just(json!(u64::MAX)), 1 => Just(json!(-1)), 1 => Just(json!("0"))]
}

/// OpenAI chunks with any mix of fields, tool-call fragments with or without index and id,
/// finish reasons anywhere (also before fragments, as LiteLLM sends them), usage and errors.
fn openai_chunk() -> impl Strategy<Value = String> {
    let call = (maybe(index()), maybe("call_[ab]"), maybe("[a-z_]{0,4}"), maybe(fragment())).prop_map(
        |(index, id, name, arguments)| {
            let mut call = json!({ "function": { "name": name, "arguments": arguments } });
            if let Some(index) = index {
                call["index"] = index;
            }
            if let Some(id) = id {
                call["id"] = json!(id);
            }
            call
        },
    );
    let choice = (0_u32..2, maybe(".{0,4}"), prop::collection::vec(call, 0..3), maybe("stop|tool_calls|length"))
        .prop_map(|(index, content, calls, finish)| {
            json!({ "index": index, "delta": { "content": content, "tool_calls": calls }, "finish_reason": finish })
        });
    let usage = (any::<u32>(), any::<u32>(), maybe(any::<u32>()))
        .prop_map(|(prompt, completion, cached)| {
            json!({ "prompt_tokens": prompt, "completion_tokens": completion, "prompt_tokens_details": { "cached_tokens": cached } })
        });
    let error = prop_oneof![
        Just(json!(503)),
        Just(json!("503")),
        Just(json!("bad_code")),
        Just(json!(70000)),
        Just(Value::Null)
    ]
    .prop_map(|code| json!({ "code": code, "message": "upstream failed" }));
    let chunk = prop_oneof![
        8 => prop::collection::vec(choice, 0..2).prop_map(|choices| json!({ "choices": choices })),
        1 => usage.prop_map(|usage| json!({ "choices": [], "usage": usage })),
        1 => error.prop_map(|error| json!({ "error": error })),
    ];
    prop_oneof![10 => chunk.prop_map(|chunk| format!("data: {chunk}\n\n")), 1 => Just("data: [DONE]\n\n".to_owned())]
}

/// Anthropic usage with any of its counts, at any size.
fn anthropic_usage() -> impl Strategy<Value = Value> {
    (maybe(any::<u32>()), maybe(any::<u32>()), maybe(any::<u32>()), maybe(any::<u32>())).prop_map(
        |(input, output, read, write)| {
            json!({ "input_tokens": input, "output_tokens": output, "cache_read_input_tokens": read, "cache_creation_input_tokens": write })
        },
    )
}

/// Anthropic events with any mix of types, indexes, blocks, deltas, usage and errors.
fn anthropic_event() -> impl Strategy<Value = String> {
    let block = prop_oneof![
        (maybe("toolu_[ab]"), maybe("[a-z]{0,3}"))
            .prop_map(|(id, name)| json!({ "type": "tool_use", "id": id, "name": name, "input": {} })),
        ".{0,3}".prop_map(|text| json!({ "type": "text", "text": text })),
        Just(json!({ "type": "thinking" })),
    ];
    let delta = prop_oneof![
        fragment().prop_map(|piece| json!({ "type": "input_json_delta", "partial_json": piece })),
        ".{0,3}".prop_map(|text| json!({ "type": "text_delta", "text": text })),
    ];
    let event = prop_oneof![
        anthropic_usage().prop_map(|usage| json!({ "type": "message_start", "message": { "usage": usage } })),
        (index(), block).prop_map(|(index, block)| json!({ "type": "content_block_start", "index": index, "content_block": block })),
        (index(), delta).prop_map(|(index, delta)| json!({ "type": "content_block_delta", "index": index, "delta": delta })),
        index().prop_map(|index| json!({ "type": "content_block_stop", "index": index })),
        (maybe("end_turn|tool_use|max_tokens|refusal"), maybe(anthropic_usage()))
            .prop_map(|(reason, usage)| json!({ "type": "message_delta", "delta": { "stop_reason": reason }, "usage": usage })),
        Just(json!({ "type": "ping" })),
        Just(json!({ "type": "message_stop" })),
        Just(json!({ "type": "error", "error": { "type": "overloaded_error", "message": "Overloaded" } })),
        Just(json!({ "type": "something_new" })),
    ];
    event
        .prop_map(|event| format!("event: {}\ndata: {event}\n\n", event["type"].as_str().unwrap_or_default()))
}

/// A valid response script in the order the parsers emit it: text deltas, tool calls, usage,
/// stop. OpenAI has no cache writes, so `cache_writes` is off for it.
fn script(cache_writes: bool) -> impl Strategy<Value = Vec<ModelEvent>> {
    let text = prop::collection::vec("\\PC{1,12}", 0..5);
    let input = prop::collection::btree_map("[a-z]{1,5}", "\\PC{0,10}", 0..4);
    let calls = prop::collection::vec(("call_[a-z0-9]{1,6}", "[a-z_]{1,10}", input), 0..4);
    let counts = (0_u32..1_000_000, 0_u32..1_000_000, 0_u32..1_000_000, 0_u32..1_000_000);
    (text, calls, counts).prop_map(move |(text, calls, (input, output, read, write))| {
        let mut events: Vec<ModelEvent> = text.into_iter().map(ModelEvent::TextDelta).collect();
        let stop = if calls.is_empty() { StopReason::EndTurn } else { StopReason::ToolUse };
        for (id, name, input) in calls {
            events.push(ModelEvent::ToolCall(ToolCall { id, name, input: json!(input) }));
        }
        let write = if cache_writes { write } else { 0 };
        events.push(ModelEvent::Usage(Usage {
            input_tokens: input,
            output_tokens: output,
            cache_read_input_tokens: read,
            cache_creation_input_tokens: write,
        }));
        events.push(ModelEvent::Stop(stop));
        events
    })
}

/// The bytes the script server sends for `events`.
fn rendered(parser: Parser, events: &[ModelEvent]) -> Vec<u8> {
    let rendered = match parser {
        Parser::OpenAi => wire::openai(events),
        Parser::Anthropic => wire::anthropic(events),
    };
    let mut body = rendered.chunks.concat();
    body.push_str(&rendered.end);
    body.into_bytes()
}

fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..24)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn sse_of_any_bytes_is_the_same_however_cut(bytes in prop_oneof![stream_soup(), prop::collection::vec(any::<u8>(), 0..256)], cuts in cuts()) {
        let whole = sse(&bytes, &[]);
        let cut = sse(&bytes, &cuts);
        prop_assert_eq!(cut, whole, "where reads split the body must not change its events");
    }

    #[test]
    fn parsers_of_any_bytes_never_panic_and_end_in_stop_or_error(bytes in stream_soup(), cuts in cuts()) {
        for parser in [Parser::OpenAi, Parser::Anthropic] {
            let whole = model(parser, &bytes, &[]);
            assert_well_formed(&whole);
            prop_assert_eq!(model(parser, &bytes, &cuts), whole, "{:?}", parser);
        }
    }

    #[test]
    fn openai_chunks_in_any_order_never_panic(chunks in prop::collection::vec(openai_chunk(), 0..24), cuts in cuts()) {
        let bytes = chunks.concat().into_bytes();
        let whole = model(Parser::OpenAi, &bytes, &[]);
        assert_well_formed(&whole);
        prop_assert_eq!(model(Parser::OpenAi, &bytes, &cuts), whole);
    }

    #[test]
    fn anthropic_events_in_any_order_never_panic(events in prop::collection::vec(anthropic_event(), 0..24), cuts in cuts()) {
        let bytes = events.concat().into_bytes();
        let whole = model(Parser::Anthropic, &bytes, &[]);
        assert_well_formed(&whole);
        prop_assert_eq!(model(Parser::Anthropic, &bytes, &cuts), whole);
    }

    #[test]
    fn a_valid_openai_response_cut_anywhere_decodes_to_its_script(script in script(false), cuts in cuts()) {
        let bytes = rendered(Parser::OpenAi, &script);
        let decoded = model(Parser::OpenAi, &bytes, &cuts);
        prop_assert_eq!(decoded, Decoded { events: script, error: None });
    }

    #[test]
    fn a_valid_anthropic_response_cut_anywhere_decodes_to_its_script(script in script(true), cuts in cuts()) {
        let bytes = rendered(Parser::Anthropic, &script);
        let decoded = model(Parser::Anthropic, &bytes, &cuts);
        prop_assert_eq!(decoded, Decoded { events: script, error: None });
    }
}
