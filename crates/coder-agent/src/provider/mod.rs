//! Model providers behind one trait.
//!
//! A provider turns a `ModelRequest` (the conversation so far, the tools on offer) into a
//! stream of `ModelEvent`s: text deltas as they arrive, complete tool calls, token usage, and
//! finally why the model stopped. Faults — HTTP errors, timeouts, a malformed stream, a
//! connection dropped mid-stream — arrive as a `ProviderError` item, after whatever text was
//! already streamed, so the caller keeps every piece of it.
//!
//! - `OpenAiProvider`: OpenAI-compatible chat completions (Ollama, llama.cpp, LM Studio, vLLM,
//!   OpenAI, OpenRouter).
//! - `AnthropicProvider`: Anthropic Messages.
//! - `ScriptedProvider`: recorded turns without network, for tests, and `ScriptedProvider::demo`
//!   for trying the app without a model.
//!
//! A request's `model` wins over the configured one; an empty `model` uses the configured one.
//! API keys live only in the provider configs, whose `Debug` redacts them, or are looked up
//! before each request (`KeyLookup`: the environment, then the OS keyring); they are sent in
//! headers marked sensitive and appear in no label, log line or error message. A key never
//! follows a redirect to another origin, and goes over plain `http://` only to a loopback host
//! unless the person allowed it (`InsecureHttp`). A user name or password inside a base URL is
//! redacted wherever the URL is shown.
//!
//! What a server sends is bounded (see `limits`): a line, an event, a tool call's arguments,
//! all tool calls' arguments together and the number of tool calls; going over is `TooLarge`.

mod anthropic;
mod http;
mod key;
pub mod limits;
mod openai;
#[cfg(test)]
mod proptests;
mod scripted;
mod sse;

pub use anthropic::{AnthropicConfig, AnthropicProvider};
pub use http::Timeouts;
pub use key::{KeyLookup, KeyLookupFn};
pub use openai::{OpenAiConfig, OpenAiProvider};
pub use scripted::{text_deltas, ScriptedProvider, ScriptedTurn, DEMO_LABEL};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// What the model is asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRequest {
    pub model: String,
    pub system: Option<String>,
    pub messages: Vec<ModelMessage>,
    pub tools: Vec<ToolSpec>,
    pub max_tokens: u32,
}

/// One turn of the conversation as providers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum ModelMessage {
    User {
        content: String,
    },
    Assistant {
        content: String,
        tool_calls: Vec<ToolCall>,
    },
    /// The result of one tool call, reported back to the model.
    ToolResult {
        tool_call_id: String,
        content: String,
        is_error: bool,
    },
    /// An image the person attached: a part of the `User` turn just before it. Providers send
    /// it inside that turn (OpenAI an `image_url` part, Anthropic an `image` block).
    UserImage {
        image: ImagePart,
    },
}

/// An image as the model is sent it.
///
/// The conversation rebuilt from the log knows only the blob the bytes are stored under;
/// `data` is filled from the blob table just before the request (the agent wraps its provider
/// for that), so a request never holds more images in memory than it sends. An image whose
/// `data` is still empty (its blob is missing) is sent as a short note instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePart {
    /// One of `coder_domain::IMAGE_TYPES`.
    pub mime_type: String,
    pub blob: coder_domain::ContentHash,
    /// The bytes, base64-encoded (standard alphabet, padded); empty until resolved.
    #[serde(default)]
    pub data: String,
}

impl ImagePart {
    /// What a provider sends in place of an image it has no bytes for.
    pub(crate) fn missing_note(&self) -> String {
        format!("(an attached {} image could not be read from Coder's store)", self.mime_type)
    }
}

impl ModelRequest {
    /// Whether any message carries an image, so a refusal can be told for what it is.
    pub(crate) fn has_images(&self) -> bool {
        self.messages.iter().any(|m| matches!(m, ModelMessage::UserImage { image } if !image.data.is_empty()))
    }
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    pub name: String,
    pub description: String,
    /// JSON Schema of the input object.
    pub input_schema: serde_json::Value,
}

/// A complete tool call from the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call, echoed back in the result.
    pub id: String,
    pub name: String,
    pub input: serde_json::Value,
}

/// Tokens the provider reports for one call.
///
/// The three input counts are disjoint, so their sum is every input token the call read:
/// `input_tokens` are billed at the full input price, `cache_read_input_tokens` were read from
/// the provider's prompt cache (cheaper), `cache_creation_input_tokens` were written to it
/// (dearer). Anthropic reports them that way; OpenAI's `cached_tokens` are a part of its
/// `prompt_tokens`, so the OpenAI provider subtracts them from `input_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
    #[serde(default)]
    pub cache_read_input_tokens: u32,
    #[serde(default)]
    pub cache_creation_input_tokens: u32,
}

impl Usage {
    /// Usage without any cached tokens.
    pub fn new(input_tokens: u32, output_tokens: u32) -> Self {
        Self { input_tokens, output_tokens, ..Self::default() }
    }

    /// Adds `other` field by field, saturating instead of overflowing (the run loop sums the
    /// usage of every call of a run).
    pub fn add(&mut self, other: Usage) {
        self.input_tokens = self.input_tokens.saturating_add(other.input_tokens);
        self.output_tokens = self.output_tokens.saturating_add(other.output_tokens);
        self.cache_read_input_tokens =
            self.cache_read_input_tokens.saturating_add(other.cache_read_input_tokens);
        self.cache_creation_input_tokens =
            self.cache_creation_input_tokens.saturating_add(other.cache_creation_input_tokens);
    }

    /// Every input token the call read, cached or not (saturating).
    pub fn total_input_tokens(&self) -> u32 {
        self.input_tokens
            .saturating_add(self.cache_read_input_tokens)
            .saturating_add(self.cache_creation_input_tokens)
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StopReason {
    /// The answer is complete.
    EndTurn,
    /// The model wants its tool calls run.
    ToolUse,
    /// The output hit `max_tokens`.
    MaxTokens,
    Other(String),
}

/// One item of a model's streamed response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ModelEvent {
    TextDelta(String),
    ToolCall(ToolCall),
    Usage(Usage),
    /// The last item of a successful response.
    Stop(StopReason),
}

/// A provider fault, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    #[error("the model provider answered HTTP {status}: {message}")]
    Http { status: u16, message: String },
    #[error("the model provider did not answer within {seconds} s")]
    Timeout { seconds: u64 },
    #[error("the model provider sent a malformed stream: {0}")]
    Malformed(String),
    #[error("the connection to the model provider was lost: {0}")]
    Disconnected(String),
    #[error("cannot reach the model provider: {0}")]
    Connect(String),
    #[error("the provider is not set up: {0}")]
    Config(String),
    /// The server sent more than a limit of `limits` allows; the text says which.
    #[error("the model provider's response is too large: {0}")]
    TooLarge(String),
    /// An API key (or a password in the base URL) would go over plain HTTP to a host that is not
    /// this machine.
    #[error(
        "the provider would send your API key unencrypted to {host}; use https, or allow it in Settings"
    )]
    InsecureHttp { host: String },
    /// The server redirected the request to another origin, where the API key must not follow.
    #[error("the model provider redirected to another address, which was refused so that your API key stays with the provider: {0}")]
    Redirected(String),
    /// The model refused a request because it carries an image (HTTP 400-type answer whose
    /// words are about images or vision); `detail` is the provider's own message.
    #[error("This model does not accept images; remove the image or choose a model with vision. (The provider said: {detail})")]
    ImagesUnsupported { detail: String },
}

/// One item of a streamed response: an event, or the fault that ended it.
pub type ModelItem = Result<ModelEvent, ProviderError>;

/// A streamed response. Dropping it stops the request.
#[derive(Debug)]
pub struct ModelStream {
    events: mpsc::Receiver<Result<ModelEvent, ProviderError>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl ModelStream {
    /// A stream fed by a task that sends into the returned sender; the task is aborted when the
    /// stream is dropped.
    pub fn channel() -> (mpsc::Sender<ModelItem>, mpsc::Receiver<ModelItem>) {
        mpsc::channel(256)
    }

    pub fn new(
        events: mpsc::Receiver<Result<ModelEvent, ProviderError>>,
        task: tokio::task::JoinHandle<()>,
    ) -> Self {
        Self { events, task: Some(task) }
    }

    /// The next item; `None` when the response has ended.
    pub async fn next(&mut self) -> Option<Result<ModelEvent, ProviderError>> {
        self.events.recv().await
    }
}

impl Drop for ModelStream {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A model provider. `stream` must be called inside a Tokio runtime; it returns at once and
/// the response arrives through the stream.
pub trait Provider: Send + Sync {
    /// Name shown to people ("OpenAI-compatible (llama3 at http://localhost:11434)", "Demo").
    fn label(&self) -> String;
    fn stream(&self, request: ModelRequest) -> ModelStream;
}

/// `base_url` as shown in a label, a log line or an error: without any user name or password
/// it may carry, even when it does not parse as a URL.
pub(crate) fn display_url(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string().trim_end_matches('/').to_owned()
        }
        Ok(_) => base_url.to_owned(),
        Err(_) => redact_userinfo(base_url),
    }
}

/// `text` with whatever sits between `://` and an `@` of the same authority replaced by `***`,
/// for URL-like text that does not parse.
fn redact_userinfo(text: &str) -> String {
    let Some(start) = text.find("://").map(|at| at + 3) else {
        return text.to_owned();
    };
    let authority_end = text[start..].find(['/', '?', '#']).map_or(text.len(), |end| start + end);
    match text[start..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &text[..start], &text[start + at + 1..]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_a_base_url_are_never_shown() {
        assert_eq!(display_url("https://user:pw@example.com/v1"), "https://example.com/v1");
        assert_eq!(display_url("http://localhost:11434/v1"), "http://localhost:11434/v1");
        let unparsable = display_url("https://user:pw@exa mple.com:99999/v1");
        assert!(!unparsable.contains("pw"), "a URL that does not parse is still redacted: {unparsable}");
        assert_eq!(display_url("not a url"), "not a url");
    }

    #[test]
    fn usage_adds_every_field_and_saturates() {
        let mut total = Usage {
            input_tokens: u32::MAX - 1,
            output_tokens: 5,
            cache_read_input_tokens: 7,
            cache_creation_input_tokens: 1,
        };
        total.add(Usage {
            input_tokens: 10,
            output_tokens: 6,
            cache_read_input_tokens: 3,
            cache_creation_input_tokens: 2,
        });
        assert_eq!(
            total,
            Usage {
                input_tokens: u32::MAX,
                output_tokens: 11,
                cache_read_input_tokens: 10,
                cache_creation_input_tokens: 3
            },
            "sums saturate instead of wrapping, so a long run never reports a tiny count"
        );
        assert_eq!(total.total_input_tokens(), u32::MAX);
    }
}
