//! OpenAI-compatible chat completions, streamed — Ollama, llama.cpp's server, LM Studio, vLLM,
//! OpenAI and OpenRouter all speak it.
//!
//! Request: `POST {base_url}/chat/completions` with `stream: true` and
//! `stream_options.include_usage`, tools as function tools, assistant tool calls with their
//! arguments as a JSON string, tool results as `role: tool` messages. The protocol has no error
//! flag for a tool result, so a failed one is sent as `Error: {content}`. A user turn with
//! attached images has `content` as an array of parts — `text`, then one `image_url` part per
//! image with a `data:` URL — while a text-only turn keeps its plain string. A refusal in words
//! about images, of a request carrying one, is `ImagesUnsupported`.
//!
//! Response: SSE `data:` chunks. `choices[0].delta.content` is streamed at once as text;
//! `delta.tool_calls` are fragments keyed by `index` whose `function.arguments` strings are
//! concatenated and parsed as JSON at `[DONE]` (arguments that are not JSON are `Malformed`);
//! `finish_reason` gives the stop reason; a chunk with `usage` gives the token counts (its
//! `prompt_tokens_details.cached_tokens`, a part of `prompt_tokens`, become
//! `cache_read_input_tokens`); `data: [DONE]` ends the response. Events go out in the order text
//! deltas, tool calls, usage, stop. A stream that ends without `[DONE]` is `Disconnected`; an
//! `error` object inside the stream (OpenRouter, vLLM, LiteLLM) is `Http` with its `code` as
//! status when that is an HTTP status, as a number or a string ("503"), else 500 with the code
//! in the message.
//!
//! Tool calls are assembled until `[DONE]` rather than sent at the finish reason, because
//! proxies (LiteLLM) send tool-call fragments after the finish reason; such a late fragment
//! simply joins its call. Tool calls and their arguments are bounded by `limits`.

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
    /// Send the key over plain `http://` to a host that is not loopback (Settings'
    /// `allow_insecure_http`); otherwise such a base URL with a key is refused with
    /// `InsecureHttp`. Without a key nothing is refused (Ollama on another machine of the LAN).
    pub allow_insecure_http: bool,
}

impl OpenAiConfig {
    /// A config with no API key and the default timeouts.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            timeouts: Timeouts::default(),
            allow_insecure_http: false,
        }
    }
}

impl fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &super::display_url(&self.base_url))
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("timeouts", &self.timeouts)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish()
    }
}

/// A provider speaking OpenAI-compatible chat completions.
#[derive(Clone)]
pub struct OpenAiProvider {
    config: OpenAiConfig,
    client: reqwest::Client,
    /// When set, the key is asked of it before each request and `config.api_key` is `None`.
    lookup: Option<KeyLookup>,
}

impl OpenAiProvider {
    /// Fails with `Config` when the base URL is not an http(s) URL, and with `InsecureHttp` when
    /// a key would go unencrypted to another machine without the person's leave.
    pub fn new(config: OpenAiConfig) -> Result<Self, ProviderError> {
        let has_key = config.api_key.as_deref().is_some_and(|key| !key.trim().is_empty());
        let keys = KeyUse { has_key, allow_insecure_http: config.allow_insecure_http };
        let client = http::client(&config.base_url, config.timeouts, keys)?;
        Ok(Self { config, client, lookup: None })
    }

    /// A provider whose key is looked up before each request (`keys::resolve`: the environment,
    /// then the keyring) rather than fixed; `config.api_key` is ignored. Without a key the
    /// request goes out without one (local servers need none). A key found for a plain
    /// `http://` base URL on another host is refused per request with `InsecureHttp`, as a
    /// fixed one is refused here.
    pub fn with_key_lookup(config: OpenAiConfig, lookup: KeyLookup) -> Result<Self, ProviderError> {
        let mut provider = Self::new(OpenAiConfig { api_key: None, ..config })?;
        provider.lookup = Some(lookup);
        Ok(provider)
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
        let has_images = request.has_images();
        let mut post = self.client.post(http::join(&self.config.base_url, "chat/completions")).json(&body);
        if let Some(key) = &self.config.api_key {
            // reqwest marks the header sensitive, so it is left out of its own Debug output.
            post = post.bearer_auth(key);
        }
        let idle = self.config.timeouts.idle;
        tracing::debug!(
            base_url = %super::display_url(&self.config.base_url),
            model,
            "requesting a chat completion"
        );
        let lookup = self.lookup.clone();
        let base_url = self.config.base_url.clone();
        let allow_insecure_http = self.config.allow_insecure_http;
        let task = tokio::spawn(async move {
            let out = Emitter(tx);
            let result = match lookup {
                Some(lookup) => match authorize(post, &lookup, &base_url, allow_insecure_http).await {
                    Ok(post) => run(post, idle, &out).await,
                    Err(error) => Err(error),
                },
                None => run(post, idle, &out).await,
            };
            if let Err(error) = result {
                out.error(http::refusal_of_images(error, has_images)).await;
            }
        });
        ModelStream::new(rx, task)
    }
}

/// `post` with the key the lookup finds now, if any. A keyring that cannot be read is no
/// error here, since many OpenAI-compatible servers need no key; the reason is logged (it
/// never holds a key) and a server that wants one answers 401.
async fn authorize(
    post: reqwest::RequestBuilder,
    lookup: &KeyLookup,
    base_url: &str,
    allow_insecure_http: bool,
) -> Result<reqwest::RequestBuilder, ProviderError> {
    match lookup.current().await {
        Ok(Some(key)) => {
            http::check_key_transport(base_url, allow_insecure_http)?;
            Ok(post.bearer_auth(key))
        }
        Ok(None) => Ok(post),
        Err(error) => {
            tracing::debug!(reason = %error, "no API key from the keyring; asking without one");
            Ok(post)
        }
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
        let (events, done) = response.on_data(&event.data)?;
        for event in events {
            out.event(event).await;
        }
        if done {
            return Ok(());
        }
    }
    Err(ProviderError::Disconnected("the response ended before [DONE]".into()))
}

/// Adds `image` to the user message just sent, whose `content` becomes an array of parts
/// (`text`, then `image_url` with a data URL); without one, it starts a user message of its own.
/// A text-only user message keeps its plain string `content`.
fn add_image(messages: &mut Vec<Value>, image: &super::ImagePart) {
    let part = if image.data.is_empty() {
        json!({ "type": "text", "text": image.missing_note() })
    } else {
        let url = format!("data:{};base64,{}", image.mime_type, image.data);
        json!({ "type": "image_url", "image_url": { "url": url } })
    };
    match messages.last_mut().filter(|last| last["role"] == "user") {
        Some(last) => {
            let content = &mut last["content"];
            if let Value::String(text) = content {
                // A message of only an image has no text part: an empty one is refused by some servers.
                *content =
                    if text.is_empty() { json!([]) } else { json!([{ "type": "text", "text": text }]) };
            }
            if let Value::Array(parts) = content {
                parts.push(part);
            }
        }
        None => messages.push(json!({ "role": "user", "content": [part] })),
    }
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
            ModelMessage::UserImage { image } => {
                add_image(&mut messages, image);
                continue;
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
    prompt_tokens: Option<u32>,
    #[serde(default)]
    completion_tokens: Option<u32>,
    #[serde(default)]
    prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Deserialize)]
struct PromptTokensDetails {
    /// Prompt tokens read from the cache; a part of `prompt_tokens`.
    #[serde(default)]
    cached_tokens: Option<u32>,
}

impl WireUsage {
    /// As `Usage` counts them: cached tokens apart from, not inside, `input_tokens`.
    fn to_usage(&self) -> Usage {
        let prompt = self.prompt_tokens.unwrap_or(0);
        let cached = self
            .prompt_tokens_details
            .as_ref()
            .and_then(|details| details.cached_tokens)
            .unwrap_or(0)
            .min(prompt);
        Usage {
            input_tokens: prompt - cached,
            output_tokens: self.completion_tokens.unwrap_or(0),
            cache_read_input_tokens: cached,
            cache_creation_input_tokens: 0,
        }
    }
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
pub(crate) struct Response {
    /// Tool calls being assembled, by index; at most `MAX_TOOL_CALLS`.
    calls: BTreeMap<usize, PendingCall>,
    /// The index of the call the last fragment belonged to, for servers that omit `index`.
    last_call: Option<usize>,
    /// Argument bytes of all tool calls so far.
    argument_bytes: usize,
    finish_reason: Option<String>,
    usage: Option<Usage>,
}

impl Response {
    /// Takes in one SSE event's data; returns the events it completes and whether the response
    /// is over (`[DONE]`). Data that is neither `[DONE]` nor a JSON chunk is `Malformed`.
    pub(crate) fn on_data(&mut self, data: &str) -> Result<(Vec<ModelEvent>, bool), ProviderError> {
        let data = data.trim();
        if data.is_empty() {
            return Ok((Vec::new(), false));
        }
        if data == "[DONE]" {
            return Ok((self.finish()?, true));
        }
        let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
            ProviderError::Malformed(format!("a chunk is not valid JSON ({e}): {}", http::truncate(data)))
        })?;
        Ok((self.apply(chunk)?, false))
    }

    /// Takes in one chunk; returns the events it completes.
    fn apply(&mut self, chunk: Chunk) -> Result<Vec<ModelEvent>, ProviderError> {
        if let Some(error) = chunk.error {
            return Err(stream_error(&error));
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(usage.to_usage());
        }
        let mut events = Vec::new();
        // Only the first choice is asked for (`n` is left at 1).
        for choice in chunk.choices.unwrap_or_default().into_iter().filter(|choice| choice.index == 0) {
            if let Some(delta) = choice.delta {
                if let Some(text) = delta.content.filter(|text| !text.is_empty()) {
                    events.push(ModelEvent::TextDelta(text));
                }
                for fragment in delta.tool_calls.unwrap_or_default() {
                    self.add_fragment(fragment)?;
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
        }
        Ok(events)
    }

    /// Adds a fragment to its call. A fragment without `index` continues the previous call
    /// unless it brings a different id.
    fn add_fragment(&mut self, fragment: ToolCallDelta) -> Result<(), ProviderError> {
        let id = fragment.id.filter(|id| !id.is_empty());
        let index = match fragment.index {
            Some(index) => index,
            None => {
                let last = self.last_call.and_then(|last| Some((last, self.calls.get(&last)?)));
                match (last, &id) {
                    (Some((last, call)), Some(id)) if call.id.as_ref() == Some(id) => last,
                    (Some((last, _)), None) => last,
                    _ => match self.calls.keys().next_back() {
                        None => 0,
                        Some(&highest) => highest.checked_add(1).ok_or_else(|| {
                            ProviderError::Malformed("a tool call's index is out of range".into())
                        })?,
                    },
                }
            }
        };
        if !self.calls.contains_key(&index) && self.calls.len() >= MAX_TOOL_CALLS {
            return Err(limits::too_many_calls());
        }
        self.last_call = Some(index);
        let call = self.calls.entry(index).or_default();
        if let Some(id) = id {
            call.id = Some(id);
        }
        if let Some(function) = fragment.function {
            // The name comes whole, once or (some servers) in every fragment.
            if let Some(name) = function.name.filter(|name| !name.is_empty()) {
                call.name = name;
            }
            if let Some(arguments) = function.arguments {
                limits::push_arguments(
                    &mut call.arguments,
                    &arguments,
                    &mut self.argument_bytes,
                    &call.name,
                )?;
            }
        }
        Ok(())
    }

    /// The assembled tool calls, in index order.
    fn take_calls(&mut self) -> Result<Vec<ModelEvent>, ProviderError> {
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
        Ok(events)
    }

    /// The events after `[DONE]`: the tool calls, usage, and the stop reason.
    fn finish(&mut self) -> Result<Vec<ModelEvent>, ProviderError> {
        let mut events = self.take_calls()?;
        let had_calls = !events.is_empty();
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

/// An `error` object inside the stream. Its `code` is the status when it is an HTTP status,
/// whether sent as a number or as a string ("503", as LiteLLM does); any other code is kept in
/// the message and the status is 500.
fn stream_error(error: &Value) -> ProviderError {
    let code = error.get("code");
    let status = code
        .and_then(|code| code.as_u64().or_else(|| code.as_str().and_then(|text| text.trim().parse().ok())))
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (100..600).contains(code));
    let mut message = http::json_message(&json!({ "error": error })).unwrap_or_else(|| error.to_string());
    if status.is_none() {
        if let Some(code) = code.filter(|code| !code.is_null()) {
            let code = code.as_str().map_or_else(|| code.to_string(), str::to_owned);
            message = format!("{message} (code {code})");
        }
    }
    ProviderError::Http { status: status.unwrap_or(500), message: http::truncate(&message) }
}
