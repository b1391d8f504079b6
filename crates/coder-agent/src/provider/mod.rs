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
//! API keys live only in the provider configs, whose `Debug` redacts them; they are sent in
//! headers marked sensitive and appear in no label, log line or error message.

mod anthropic;
mod http;
mod openai;
mod scripted;
mod sse;

pub use anthropic::{AnthropicConfig, AnthropicProvider};
pub use http::Timeouts;
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
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

/// `base_url` as shown in a label: without any user name or password it may carry.
fn display_url(base_url: &str) -> String {
    match reqwest::Url::parse(base_url) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string().trim_end_matches('/').to_owned()
        }
        _ => base_url.to_owned(),
    }
}
