//! Scripts of `ModelEvent`s rendered into the wire format a real provider streams.
//!
//! Each SSE event is one chunk; the chunk that ends the response (`data: [DONE]`,
//! `message_stop`) is kept apart so a fault can leave it out. Tool-call arguments are always
//! split into several pieces, as real servers do, so every script exercises their reassembly.

use serde_json::{json, Value};

use crate::provider::{ModelEvent, StopReason, Usage};

/// The longest piece of tool-call arguments in one chunk, for arguments of ordinary size.
const ARGUMENT_PIECE: usize = 7;
/// The most pieces one call's arguments are split into; longer arguments get longer pieces, so
/// a megabyte of arguments is a few hundred chunks rather than a hundred thousand.
const MAX_ARGUMENT_PIECES: usize = 256;

/// A response as SSE chunks.
pub(crate) struct Rendered {
    pub chunks: Vec<String>,
    /// The chunk that marks a complete response.
    pub end: String,
}

/// OpenAI chat completion chunks. The usage chunk comes after the finish chunk, as OpenAI
/// sends it, wherever the script has it; its `prompt_tokens` include the cache reads, which are
/// also given as `prompt_tokens_details.cached_tokens` (OpenAI has no cache writes).
pub(crate) fn openai(events: &[ModelEvent]) -> Rendered {
    let chunk = |choices: Value| {
        let body = json!({
            "id": "chatcmpl-script",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "scripted",
            "choices": choices,
        });
        format!("data: {body}\n\n")
    };
    let mut chunks = Vec::new();
    let mut usage = None;
    let mut tool_index = 0;
    let mut first = true;
    let mut delta = |mut delta: Value, finish: Option<&str>| {
        if std::mem::take(&mut first) {
            delta["role"] = json!("assistant");
        }
        chunk(json!([{ "index": 0, "delta": delta, "finish_reason": finish }]))
    };
    for event in events {
        match event {
            ModelEvent::TextDelta(text) => chunks.push(delta(json!({ "content": text }), None)),
            ModelEvent::ToolCall(call) => {
                let opening = json!({
                    "index": tool_index,
                    "id": call.id,
                    "type": "function",
                    "function": { "name": call.name, "arguments": "" },
                });
                chunks.push(delta(json!({ "tool_calls": [opening] }), None));
                for piece in pieces(&arguments(&call.input)) {
                    let fragment = json!({ "index": tool_index, "function": { "arguments": piece } });
                    chunks.push(delta(json!({ "tool_calls": [fragment] }), None));
                }
                tool_index += 1;
            }
            ModelEvent::Usage(reported) => usage = Some(*reported),
            ModelEvent::Stop(reason) => {
                let reason = match reason {
                    StopReason::EndTurn => "stop",
                    StopReason::ToolUse => "tool_calls",
                    StopReason::MaxTokens => "length",
                    StopReason::Other(other) => other,
                };
                chunks.push(delta(json!({}), Some(reason)));
            }
        }
    }
    if let Some(usage) = usage {
        let body = json!({
            "id": "chatcmpl-script",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "scripted",
            "choices": [],
            "usage": {
                "prompt_tokens": usage.input_tokens + usage.cache_read_input_tokens,
                "completion_tokens": usage.output_tokens,
                "total_tokens": usage.input_tokens + usage.cache_read_input_tokens + usage.output_tokens,
                "prompt_tokens_details": { "cached_tokens": usage.cache_read_input_tokens },
            },
        });
        chunks.push(format!("data: {body}\n\n"));
    }
    Rendered { chunks, end: "data: [DONE]\n\n".into() }
}

/// Anthropic Messages events: `message_start` (with the script's input and cache tokens), a `ping`,
/// consecutive text deltas as one text block, each tool call as a `tool_use` block, and a
/// `message_delta` with the stop reason and output tokens.
pub(crate) fn anthropic(events: &[ModelEvent]) -> Rendered {
    let event =
        |body: Value| format!("event: {}\ndata: {body}\n\n", body["type"].as_str().unwrap_or_default());
    let usage = events
        .iter()
        .find_map(|event| match event {
            ModelEvent::Usage(usage) => Some(*usage),
            _ => None,
        })
        .unwrap_or(Usage::default());
    let mut chunks = vec![
        event(json!({
            "type": "message_start",
            "message": {
                "id": "msg_script",
                "type": "message",
                "role": "assistant",
                "model": "scripted",
                "content": [],
                "stop_reason": null,
                "stop_sequence": null,
                "usage": {
                    "input_tokens": usage.input_tokens,
                    "cache_read_input_tokens": usage.cache_read_input_tokens,
                    "cache_creation_input_tokens": usage.cache_creation_input_tokens,
                    "output_tokens": 1,
                },
            },
        })),
        event(json!({ "type": "ping" })),
    ];
    let mut index = 0;
    let mut text_open = false;
    let mut stop = None;
    for script_event in events {
        match script_event {
            ModelEvent::TextDelta(text) => {
                if !text_open {
                    chunks.push(event(json!({
                        "type": "content_block_start",
                        "index": index,
                        "content_block": { "type": "text", "text": "" },
                    })));
                    text_open = true;
                }
                chunks.push(event(json!({
                    "type": "content_block_delta",
                    "index": index,
                    "delta": { "type": "text_delta", "text": text },
                })));
            }
            ModelEvent::ToolCall(call) => {
                if std::mem::take(&mut text_open) {
                    chunks.push(event(json!({ "type": "content_block_stop", "index": index })));
                    index += 1;
                }
                chunks.push(event(json!({
                    "type": "content_block_start",
                    "index": index,
                    "content_block": { "type": "tool_use", "id": call.id, "name": call.name, "input": {} },
                })));
                for piece in pieces(&arguments(&call.input)) {
                    chunks.push(event(json!({
                        "type": "content_block_delta",
                        "index": index,
                        "delta": { "type": "input_json_delta", "partial_json": piece },
                    })));
                }
                chunks.push(event(json!({ "type": "content_block_stop", "index": index })));
                index += 1;
            }
            ModelEvent::Usage(_) => {}
            ModelEvent::Stop(reason) => stop = Some(reason),
        }
    }
    if text_open {
        chunks.push(event(json!({ "type": "content_block_stop", "index": index })));
    }
    let stop_reason = stop.map(|reason| match reason {
        StopReason::EndTurn => "end_turn",
        StopReason::ToolUse => "tool_use",
        StopReason::MaxTokens => "max_tokens",
        StopReason::Other(other) => other,
    });
    chunks.push(event(json!({
        "type": "message_delta",
        "delta": { "stop_reason": stop_reason, "stop_sequence": null },
        "usage": { "output_tokens": usage.output_tokens },
    })));
    Rendered { chunks, end: event(json!({ "type": "message_stop" })) }
}

/// The arguments as sent: the input as JSON, or a string input as it is (see `Turn`).
fn arguments(input: &Value) -> String {
    match input {
        Value::String(raw) => raw.clone(),
        other => other.to_string(),
    }
}

/// `text` in pieces of `ARGUMENT_PIECE` characters, or in `MAX_ARGUMENT_PIECES` pieces when
/// that makes them longer.
fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = ARGUMENT_PIECE.max(chars.len().div_ceil(MAX_ARGUMENT_PIECES));
    chars.chunks(size).map(|piece| piece.iter().collect()).collect()
}
