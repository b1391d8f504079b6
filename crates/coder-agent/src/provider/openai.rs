//! OpenAI-compatible chat completions, streamed — Ollama, llama.cpp's server, LM Studio, vLLM,
//! OpenAI and OpenRouter all speak it.
//!
//! Request: `POST {base_url}/chat/completions` with `stream: true` and
//! `stream_options.include_usage`, tools as function tools, assistant tool calls with their
//! arguments as a JSON string, tool results as `role: tool` messages. The protocol has no error
//! flag for a tool result, so a failed one is sent as `Error: {content}`.
//!
//! Response: SSE `data:` chunks. `choices[0].delta.content` is streamed at once as text;
//! `delta.tool_calls` are fragments keyed by `index` whose `function.arguments` strings are
//! concatenated and parsed as JSON when the choice finishes (arguments that are not JSON are
//! `Malformed`); `finish_reason` gives the stop reason; a chunk with `usage` gives the token
//! counts; `data: [DONE]` ends the response. Events go out in the order text deltas, tool calls,
//! usage, stop. A stream that ends without `[DONE]` is `Disconnected`; an `error` object inside
//! the stream (OpenRouter, vLLM) is `Http` with its `code` as status when numeric, else 500.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::{json, Value};

use super::http::{self, Emitter, Timeouts};
use super::{
    ModelEvent, ModelMessage, ModelRequest, ModelStream, Provider, ProviderError, StopReason, ToolCall, Usage,
};

/// Where and how to reach an OpenAI-compatible server.
#[derive(Clone, PartialEq, Eq)]
pub struct OpenAiConfig {
    /// Up to and including the API version, e.g. `http://localhost:11434/v1` (Ollama),
    /// `http://localhost:8080/v1` (llama.cpp), `https://api.openai.com/v1`.
    pub base_url: String,
    /// The model asked for when a request names none.
    pub model: String,
    /// Sent as `Authorization: Bearer …`; local servers need none. Never logged: `Debug` redacts it.
    pub api_key: Option<String>,
    pub timeouts: Timeouts,
}

impl OpenAiConfig {
    /// A config with no API key and the default timeouts.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self { base_url: base_url.into(), model: model.into(), api_key: None, timeouts: Timeouts::default() }
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeouts", &self.timeouts)
            .finish()
    }
}

/// A provider speaking OpenAI-compatible chat completions.
#[derive(Clone)]
pub struct OpenAiProvider {
    config: OpenAiConfig,
    client: reqwest::Client,
}

impl OpenAiProvider {
    /// Fails with `Config` when the base URL is not an http(s) URL.
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        let client = http::client(&config.base_url, config.timeouts)?;
        Ok(Self { config, client })
    }
}

impl fmt::Debug for OpenAiProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiProvider").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Provider for OpenAiProvider {
    fn label(&self) -> String {
        format!("OpenAI-compatible ({} at {})", self.config.model, super::display_url(&self.config.base_url))
    }

    fn stream(&self, request: ModelRequest) -> ModelStream {
        let (tx, rx) = ModelStream::channel();
        let model = if request.model.is_empty() { &self.config.model } else { &request.model };
        let body = request_body(&request, model);
        let mut post = self.client.post(http::join(&self.config.base_url, "chat/completions")).json(&body);
        if let Some(key) = &self.config.api_key {
            // reqwest marks the header sensitive, so it is left out of its own Debug output.
            post = post.bearer_auth(key);
        }
        let idle = self.config.timeouts.idle;
        tracing::debug!(base_url = %self.config.base_url, model, "requesting a chat completion");
        let task = tokio::spawn(async move {
            let out = Emitter(tx);
            if let Err(error) = run(post, idle, &out).await {
                out.error(error).await;
            }
        });
        ModelStream::new(rx, task)
    }
}

async fn run(
    post: reqwest::RequestBuilder,
    idle: std::time::Duration,
    out: &Emitter,
) -> Result<(), ProviderError> {
    let mut body = http::open_stream(post, idle).await?;
    let mut response = Response::default();
    while let Some(event) = body.next().await? {
        let data = event.data.trim();
        if data.is_empty() {
            continue;
        }
        if data == "[DONE]" {
            for event in response.finish()? {
                out.event(event).await;
            }
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
            ProviderError::Malformed(format!("a chunk is not valid JSON ({e}): {}", http::truncate(data)))
        })?;
        for event in response.apply(chunk)? {
            out.event(event).await;
        }
    }
    Err(ProviderError::Disconnected("the response ended before [DONE]".into()))
}

/// The request body for `request`.
fn request_body(request: &ModelRequest, model: &str) -> Value {
    let mut messages = Vec::with_capacity(request.messages.len() + 1);
    if let Some(system) = request.system.as_deref().filter(|system| !system.is_empty()) {
        messages.push(json!({ "role": "system", "content": system }));
    }
    for message in &request.messages {
        messages.push(match message {
            ModelMessage::User { content } => json!({ "role": "user", "content": content }),
            ModelMessage::Assistant { content, tool_calls } if tool_calls.is_empty() => {
                json!({ "role": "assistant", "content": content })
            }
            ModelMessage::Assistant { content, tool_calls } => {
                let calls: Vec<Value> = tool_calls
                    .iter()
                    .map(|call| {
                        json!({
                            "id": call.id,
                            "type": "function",
                            "function": { "name": call.name, "arguments": call.input.to_string() },
                        })
                    })
                    .collect();
                let content = if content.is_empty() { Value::Null } else { json!(content) };
                json!({ "role": "assistant", "content": content, "tool_calls": calls })
            }
            ModelMessage::ToolResult { tool_call_id, content, is_error } => {
                let content = if *is_error { format!("Error: {content}") } else { content.clone() };
                json!({ "role": "tool", "tool_call_id": tool_call_id, "content": content })
            }
        });
    }
    let mut body = json!({
        "model": model,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.input_schema,
                    },
                })
            })
            .collect();
        body["tools"] = Value::Array(tools);
    }
    body
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Option<Vec<Choice>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

/// A tool call being assembled from its fragments.
#[derive(Default)]
struct PendingCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// What has been learned of the response so far.
#[derive(Default)]
struct Response {
    calls: BTreeMap<usize, PendingCall>,
    /// The index of the call the last fragment belonged to, for servers that omit `index`.
    last_call: Option<usize>,
    calls_sent: bool,
    /// How many tool calls were sent.
    call_count: usize,
    finish_reason: Option<String>,
    usage: Option<Usage>,
}

impl Response {
    /// Takes in one chunk; returns the events it completes.
    fn apply(&mut self, chunk: Chunk) -> Result<Vec<ModelEvent>, ProviderError> {
        if let Some(error) = chunk.error {
            let status = error.get("code").and_then(Value::as_u64).and_then(|code| u16::try_from(code).ok());
            let message = http::json_message(&json!({ "error": error })).unwrap_or_else(|| error.to_string());
            return Err(ProviderError::Http {
                status: status.unwrap_or(500),
                message: http::truncate(&message),
            });
        }
        if let Some(usage) = chunk.usage {
            self.usage =
                Some(Usage { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens });
        }
        let mut events = Vec::new();
        // Only the first choice is asked for (`n` is left at 1).
        for choice in chunk.choices.unwrap_or_default().into_iter().filter(|choice| choice.index == 0) {
            if let Some(delta) = choice.delta {
                if let Some(text) = delta.content.filter(|text| !text.is_empty()) {
                    events.push(ModelEvent::TextDelta(text));
                }
                for fragment in delta.tool_calls.unwrap_or_default() {
                    self.add_fragment(fragment);
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
                events.extend(self.take_calls()?);
            }
        }
        Ok(events)
    }

    fn add_fragment(&mut self, fragment: ToolCallDelta) {
        let index = fragment.index.unwrap_or_else(|| {
            let starts_new = match (self.last_call, &fragment.id) {
                (Some(last), Some(id)) => self.calls[&last].id.as_ref() != Some(id),
                (Some(_), None) => false,
                (None, _) => true,
            };
            match self.last_call {
                Some(last) if !starts_new => last,
                _ => self.calls.keys().next_back().map_or(0, |last| last + 1),
            }
        });
        self.last_call = Some(index);
        let call = self.calls.entry(index).or_default();
        if let Some(id) = fragment.id.filter(|id| !id.is_empty()) {
            call.id = Some(id);
        }
        if let Some(function) = fragment.function {
            // The name comes whole, once or (some servers) in every fragment.
            if let Some(name) = function.name.filter(|name| !name.is_empty()) {
                call.name = name;
            }
            if let Some(arguments) = function.arguments {
                call.arguments.push_str(&arguments);
            }
        }
    }

    /// The assembled tool calls, once.
    fn take_calls(&mut self) -> Result<Vec<ModelEvent>, ProviderError> {
        if self.calls_sent {
            return Ok(Vec::new());
        }
        self.calls_sent = true;
        let mut events = Vec::with_capacity(self.calls.len());
        for (index, call) in std::mem::take(&mut self.calls) {
            if call.name.is_empty() {
                return Err(ProviderError::Malformed(format!("tool call {index} has no function name")));
            }
            let arguments = call.arguments.trim();
            let input = if arguments.is_empty() {
                json!({})
            } else {
                serde_json::from_str(arguments).map_err(|e| {
                    ProviderError::Malformed(format!(
                        "the arguments of tool call `{}` are not valid JSON ({e}): {}",
                        call.name,
                        http::truncate(arguments)
                    ))
                })?
            };
            let id = call.id.unwrap_or_else(|| format!("call_{index}"));
            events.push(ModelEvent::ToolCall(ToolCall { id, name: call.name, input }));
        }
        self.call_count = events.len();
        Ok(events)
    }

    /// The events after `[DONE]`: any tool calls not yet sent, usage, and the stop reason.
    fn finish(&mut self) -> Result<Vec<ModelEvent>, ProviderError> {
        let mut events = self.take_calls()?;
        let had_calls = self.call_count > 0;
        if let Some(usage) = self.usage {
            events.push(ModelEvent::Usage(usage));
        }
        let stop = match self.finish_reason.as_deref() {
            // Some servers (older Ollama) say "stop" although the choice ends in tool calls.
            Some("stop") | None if had_calls => StopReason::ToolUse,
            Some("stop") | None => StopReason::EndTurn,
            Some("tool_calls" | "function_call") => StopReason::ToolUse,
            Some("length") => StopReason::MaxTokens,
            Some(other) => StopReason::Other(other.to_owned()),
        };
        events.push(ModelEvent::Stop(stop));
        Ok(events)
    }
}
