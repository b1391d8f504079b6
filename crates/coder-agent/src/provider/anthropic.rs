//! Anthropic Messages, streamed.
//!
//! Request: `POST {base_url}/v1/messages` (a base URL given with `/v1` or a trailing slash is
//! taken as without them, as proxies such as LiteLLM document it) with headers `x-api-key` and
//! `anthropic-version: 2023-06-01`, `stream: true`, the system prompt apart from the messages.
//! Assistant tool calls are `tool_use` content blocks; tool results are `tool_result` blocks in a
//! user message. Consecutive messages of one role are merged into one, because the API wants
//! every result of an assistant turn's tool calls in the single user message that follows it.
//! An attached image is an `image` block (`source: {type: base64, media_type, data}`) in the
//! user turn it belongs to. A refusal in words about images, of a request carrying one, is
//! `ImagesUnsupported`.
//!
//! Response: SSE events. `message_start` carries the input tokens (uncached, read from the
//! prompt cache, written to it); `content_block_start` opens
//! a text or `tool_use` block (id and name); `content_block_delta` brings `text_delta` (streamed
//! at once) or `input_json_delta` (its `partial_json` concatenated); `content_block_stop` closes
//! a block and sends its tool call; `message_delta` carries the stop reason and output tokens
//! (and, from newer servers, the input counts again; the last value of each count wins);
//! `message_stop` ends the response with usage and stop. An `error` event becomes `Http` with
//! the status the API uses for that error type (`overloaded_error` → 529 and so on). A stream
//! that ends without `message_stop` is `Disconnected`. Other block and delta types (thinking)
//! are skipped. Tool calls and their input are bounded by `limits`.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::{json, Value};

use super::http::{self, Emitter, KeyUse, Timeouts};
use super::key::KeyLookup;
use super::limits::{self, MAX_TOOL_CALLS};
use super::{
    ModelEvent, ModelMessage, ModelRequest, ModelStream, Provider, ProviderError, StopReason, ToolCall, Usage,
};
use crate::keys::KeyedProvider;

/// The API version this provider speaks.
const API_VERSION: &str = "2023-06-01";

/// Where and how to reach the Anthropic API.
#[derive(Clone, PartialEq, Eq)]
pub struct AnthropicConfig {
    /// `https://api.anthropic.com`, or a compatible proxy; with or without a trailing `/v1`.
    pub base_url: String,
    /// The model asked for when a request names none.
    pub model: String,
    /// Sent as `x-api-key`. Never logged: `Debug` redacts it.
    pub api_key: String,
    pub timeouts: Timeouts,
    /// Send the key over plain `http://` to a host that is not loopback (Settings'
    /// `allow_insecure_http`); otherwise such a base URL is refused with `InsecureHttp`.
    pub allow_insecure_http: bool,
}

impl AnthropicConfig {
    /// The public API with the default timeouts.
    pub fn new(model: impl Into<String>, api_key: impl Into<String>) -> Self {
        Self {
            base_url: "https://api.anthropic.com".into(),
            model: model.into(),
            api_key: api_key.into(),
            timeouts: Timeouts::default(),
            allow_insecure_http: false,
        }
    }
}

impl fmt::Debug for AnthropicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicConfig")
            .field("base_url", &super::display_url(&self.base_url))
            .field("model", &self.model)
            .field("api_key", &"<redacted>")
            .field("timeouts", &self.timeouts)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// A provider speaking Anthropic Messages.
#[derive(Clone)]
pub struct AnthropicProvider {
    config: AnthropicConfig,
    client: reqwest::Client,
    key: Key,
}

/// Where the `x-api-key` header comes from.
#[derive(Clone)]
enum Key {
    Fixed(reqwest::header::HeaderValue),
    /// Asked before each request; a request without a key is not sent.
    Lookup(KeyLookup),
}

impl AnthropicProvider {
    /// Fails with `Config` when the base URL is not an http(s) URL or the API key is empty or
    /// not a valid header value, and with `InsecureHttp` when the key would go unencrypted to
    /// another machine without the person's leave.
    pub fn new(config: AnthropicConfig) -> Result<Self, ProviderError> {
        if config.api_key.trim().is_empty() {
            return Err(ProviderError::Config("no Anthropic API key is set".into()));
        }
        let keys = KeyUse { has_key: true, allow_insecure_http: config.allow_insecure_http };
        let client = http::client(&config.base_url, config.timeouts, keys)?;
        let mut api_key = reqwest::header::HeaderValue::from_str(config.api_key.trim()).map_err(|_| {
            ProviderError::Config("the Anthropic API key has characters a key cannot have".into())
        })?;
        api_key.set_sensitive(true);
        Ok(Self { config, client, key: Key::Fixed(api_key) })
    }

    /// A provider whose key is looked up before each request (`keys::resolve`: the environment,
    /// then the keyring) rather than fixed; `config.api_key` is ignored. A request for which
    /// none is found fails with a `Config` error that says how to set one. Fails as `new` does
    /// for the base URL; the key's way to it is checked as for a fixed key.
    pub fn with_key_lookup(config: AnthropicConfig, lookup: KeyLookup) -> Result<Self, ProviderError> {
        let keys = KeyUse { has_key: true, allow_insecure_http: config.allow_insecure_http };
        let client = http::client(&config.base_url, config.timeouts, keys)?;
        let config = AnthropicConfig { api_key: String::new(), ..config };
        Ok(Self { config, client, key: Key::Lookup(lookup) })
    }
}

impl fmt::Debug for AnthropicProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicProvider").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Provider for AnthropicProvider {
    fn label(&self) -> String {
        format!("Anthropic ({} at {})", self.config.model, super::display_url(&self.config.base_url))
    }

    fn stream(&self, request: ModelRequest) -> ModelStream {
        let (tx, rx) = ModelStream::channel();
        let model = if request.model.is_empty() { &self.config.model } else { &request.model };
        let body = request_body(&request, model);
        let has_images = request.has_images();
        let post = self
            .client
            .post(messages_url(&self.config.base_url))
            .header("anthropic-version", API_VERSION)
            .json(&body);
        let idle = self.config.timeouts.idle;
        tracing::debug!(base_url = %super::display_url(&self.config.base_url), model, "requesting a message");
        let key = self.key.clone();
        let task = tokio::spawn(async move {
            let out = Emitter(tx);
            let result = match header_value(&key).await {
                Ok(value) => run(post.header("x-api-key", value), idle, &out).await,
                Err(error) => Err(error),
            };
            if let Err(error) = result {
                out.error(http::refusal_of_images(error, has_images)).await;
            }
        });
        ModelStream::new(rx, task)
    }
}

/// The `x-api-key` value for the next request, marked sensitive; a `Config` error saying how to
/// set a key when there is none or it cannot be read.
async fn header_value(key: &Key) -> Result<reqwest::header::HeaderValue, ProviderError> {
    let lookup = match key {
        Key::Fixed(value) => return Ok(value.clone()),
        Key::Lookup(lookup) => lookup,
    };
    let provider = KeyedProvider::Anthropic;
    let key = match lookup.current().await {
        Ok(Some(key)) => key,
        Ok(None) => {
            return Err(ProviderError::Config(format!(
                "no API key: `coder key set {provider}` or set {}",
                provider.variable()
            )))
        }
        Err(error) => return Err(ProviderError::Config(format!("no API key: {error}"))),
    };
    let mut value = reqwest::header::HeaderValue::from_str(key.trim()).map_err(|_| {
        ProviderError::Config("the Anthropic API key has characters a key cannot have".into())
    })?;
    value.set_sensitive(true);
    Ok(value)
}

async fn run(
    post: reqwest::RequestBuilder,
    idle: std::time::Duration,
    out: &Emitter,
) -> Result<(), ProviderError> {
    let mut body = http::open_stream(post, idle).await?;
    let mut response = Response::default();
    while let Some(event) = body.next().await? {
        let (events, done) = response.on_data(&event.data)?;
        for event in events {
            out.event(event).await;
        }
        if done {
            return Ok(());
        }
    }
    Err(ProviderError::Disconnected("the response ended before message_stop".into()))
}

/// Where messages are posted: `{base}/v1/messages`, with any trailing slash and `/v1` of `base`
/// taken off first so that `…/v1` does not become `…/v1/v1/messages`.
fn messages_url(base_url: &str) -> String {
    let base = base_url.trim_end_matches('/');
    let base = base.strip_suffix("/v1").unwrap_or(base);
    http::join(base, "v1/messages")
}

/// The request body for `request`.
fn request_body(request: &ModelRequest, model: &str) -> Value {
    let mut messages: Vec<(&str, Vec<Value>)> = Vec::with_capacity(request.messages.len());
    for message in &request.messages {
        let (role, blocks) = match message {
            // The API refuses empty text blocks: a message of only an image has none.
            ModelMessage::User { content } if content.is_empty() => ("user", Vec::new()),
            ModelMessage::User { content } => ("user", vec![json!({ "type": "text", "text": content })]),
            ModelMessage::Assistant { content, tool_calls } => {
                // The API refuses empty text blocks.
                let text = (!content.is_empty()).then(|| json!({ "type": "text", "text": content }));
                let calls = tool_calls.iter().map(|call| {
                    json!({ "type": "tool_use", "id": call.id, "name": call.name, "input": call.input })
                });
                ("assistant", text.into_iter().chain(calls).collect())
            }
            ModelMessage::ToolResult { tool_call_id, content, is_error } => (
                "user",
                vec![json!({
                    "type": "tool_result",
                    "tool_use_id": tool_call_id,
                    "content": content,
                    "is_error": is_error,
                })],
            ),
            // Joins the user turn before it, as consecutive user messages do below.
            ModelMessage::UserImage { image } if image.data.is_empty() => {
                ("user", vec![json!({ "type": "text", "text": image.missing_note() })])
            }
            ModelMessage::UserImage { image } => (
                "user",
                vec![json!({
                    "type": "image",
                    "source": { "type": "base64", "media_type": image.mime_type, "data": image.data },
                })],
            ),
        };
        if blocks.is_empty() {
            continue;
        }
        match messages.last_mut() {
            Some((last_role, last_blocks)) if *last_role == role => last_blocks.extend(blocks),
            _ => messages.push((role, blocks)),
        }
    }
    let messages: Vec<Value> =
        messages.into_iter().map(|(role, content)| json!({ "role": role, "content": content })).collect();
    let mut body = json!({
        "model": model,
        "max_tokens": request.max_tokens,
        "messages": messages,
        "stream": true,
    });
    if let Some(system) = request.system.as_deref().filter(|system| !system.is_empty()) {
        body["system"] = json!(system);
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| json!({ "name": tool.name, "description": tool.description, "input_schema": tool.input_schema }))
            .collect();
        body["tools"] = Value::Array(tools);
    }
    body
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: Value,
    },
    ContentBlockDelta {
        index: usize,
        delta: Value,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        #[serde(default)]
        delta: Option<MessageDelta>,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: Value,
    },
    /// Event types added after this was written are skipped, as the API's versioning policy asks.
    #[serde(other)]
    Unknown,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct MessageDelta {
    #[serde(default)]
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u32>,
    #[serde(default)]
    output_tokens: Option<u32>,
    #[serde(default)]
    cache_read_input_tokens: Option<u32>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u32>,
}

/// An open `tool_use` block.
struct PendingCall {
    id: String,
    name: String,
    /// The input from `content_block_start`, used when no `input_json_delta` follows.
    start_input: Value,
    partial_json: String,
}

/// What has been learned of the response so far.
#[derive(Default)]
pub(crate) struct Response {
    calls: BTreeMap<usize, PendingCall>,
    /// Tool calls sent.
    call_count: usize,
    /// Tool calls opened, sent or not; at most `MAX_TOOL_CALLS`.
    calls_started: usize,
    /// Input JSON bytes of all tool calls so far.
    argument_bytes: usize,
    usage: Usage,
    usage_seen: bool,
    stop_reason: Option<String>,
}

impl Response {
    /// Takes in one SSE event's data; returns the events it completes and whether the response
    /// is over. Data that is not a JSON event is `Malformed`.
    pub(crate) fn on_data(&mut self, data: &str) -> Result<(Vec<ModelEvent>, bool), ProviderError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok((Vec::new(), false));
        }
        let event: Event = serde_json::from_str(data).map_err(|e| {
            ProviderError::Malformed(format!("an event is not valid JSON ({e}): {}", http::truncate(data)))
        })?;
        self.apply(event)
    }

    /// Takes in one event; returns the events it completes and whether the response is over.
    fn apply(&mut self, event: Event) -> Result<(Vec<ModelEvent>, bool), ProviderError> {
        let mut events = Vec::new();
        match event {
            Event::MessageStart { message } => {
                if let Some(usage) = message.usage {
                    self.add_usage(&usage);
                }
            }
            Event::ContentBlockStart { index, content_block } => {
                match content_block.get("type").and_then(Value::as_str) {
                    Some("tool_use") => {
                        let field =
                            |name: &str| content_block.get(name).and_then(Value::as_str).map(str::to_owned);
                        let (Some(id), Some(name)) = (field("id"), field("name")) else {
                            return Err(ProviderError::Malformed(format!(
                                "tool_use block {index} has no id or name"
                            )));
                        };
                        self.calls_started += 1;
                        if self.calls_started > MAX_TOOL_CALLS {
                            return Err(limits::too_many_calls());
                        }
                        let start_input = content_block.get("input").cloned().unwrap_or_else(|| json!({}));
                        self.calls.insert(
                            index,
                            PendingCall { id, name, start_input, partial_json: String::new() },
                        );
                    }
                    Some("text") => {
                        let text = content_block.get("text").and_then(Value::as_str).unwrap_or_default();
                        if !text.is_empty() {
                            events.push(ModelEvent::TextDelta(text.to_owned()));
                        }
                    }
                    _ => {}
                }
            }
            Event::ContentBlockDelta { index, delta } => {
                let text = |name: &str| delta.get(name).and_then(Value::as_str).unwrap_or_default();
                match delta.get("type").and_then(Value::as_str) {
                    Some("text_delta") if !text("text").is_empty() => {
                        events.push(ModelEvent::TextDelta(text("text").to_owned()));
                    }
                    Some("input_json_delta") => match self.calls.get_mut(&index) {
                        Some(call) => limits::push_arguments(
                            &mut call.partial_json,
                            text("partial_json"),
                            &mut self.argument_bytes,
                            &call.name,
                        )?,
                        None => {
                            return Err(ProviderError::Malformed(format!(
                                "input_json_delta for block {index}, which is not an open tool_use block"
                            )))
                        }
                    },
                    _ => {}
                }
            }
            Event::ContentBlockStop { index } => {
                if let Some(call) = self.calls.remove(&index) {
                    events.push(ModelEvent::ToolCall(finish_call(call)?));
                    self.call_count += 1;
                }
            }
            Event::MessageDelta { delta, usage } => {
                if let Some(reason) = delta.and_then(|delta| delta.stop_reason) {
                    self.stop_reason = Some(reason);
                }
                if let Some(usage) = usage {
                    self.add_usage(&usage);
                }
            }
            Event::MessageStop => {
                if self.usage_seen {
                    events.push(ModelEvent::Usage(self.usage));
                }
                let stop = match self.stop_reason.as_deref() {
                    Some("end_turn" | "stop_sequence") => StopReason::EndTurn,
                    Some("tool_use") => StopReason::ToolUse,
                    Some("max_tokens") => StopReason::MaxTokens,
                    Some(other) => StopReason::Other(other.to_owned()),
                    None if self.call_count > 0 => StopReason::ToolUse,
                    None => StopReason::EndTurn,
                };
                events.push(ModelEvent::Stop(stop));
                return Ok((events, true));
            }
            Event::Error { error } => return Err(stream_error(&error)),
            Event::Ping | Event::Unknown => {}
        }
        Ok((events, false))
    }

    /// `message_start` reports the input tokens, `message_delta` the output tokens so far
    /// (cumulative, so the last one counts) and, from newer servers, the input counts again.
    /// Cache reads and writes come on top of `input_tokens`, as `Usage` wants them.
    fn add_usage(&mut self, usage: &WireUsage) {
        self.usage_seen = true;
        let counts = [
            (usage.input_tokens, &mut self.usage.input_tokens),
            (usage.output_tokens, &mut self.usage.output_tokens),
            (usage.cache_read_input_tokens, &mut self.usage.cache_read_input_tokens),
            (usage.cache_creation_input_tokens, &mut self.usage.cache_creation_input_tokens),
        ];
        for (reported, count) in counts {
            if let Some(reported) = reported {
                *count = reported;
            }
        }
    }
}

fn finish_call(call: PendingCall) -> Result<ToolCall, ProviderError> {
    let json = call.partial_json.trim();
    let input = if json.is_empty() {
        call.start_input
    } else {
        serde_json::from_str(json).map_err(|e| {
            ProviderError::Malformed(format!(
                "the input of tool call `{}` is not valid JSON ({e}): {}",
                call.name,
                http::truncate(json)
            ))
        })?
    };
    Ok(ToolCall { id: call.id, name: call.name, input })
}

/// An `error` event, with the HTTP status the API gives the same error type.
fn stream_error(error: &Value) -> ProviderError {
    let kind = error.get("type").and_then(Value::as_str).unwrap_or("error");
    let status = match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "overloaded_error" => 529,
        _ => 500,
    };
    let message = error.get("message").and_then(Value::as_str).unwrap_or(kind);
    ProviderError::Http { status, message: http::truncate(message) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_with_or_without_v1_and_slash_posts_to_one_path() {
        for base in ["http://h:4000", "http://h:4000/", "http://h:4000/v1", "http://h:4000/v1/"] {
            assert_eq!(
                messages_url(base),
                "http://h:4000/v1/messages",
                "{base} must not become …/v1/v1/messages (LiteLLM documents the URL with /v1)"
            );
        }
        assert_eq!(messages_url("https://proxy/anthropic"), "https://proxy/anthropic/v1/messages");
    }
}
