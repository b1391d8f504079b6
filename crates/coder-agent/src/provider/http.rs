//! What the HTTP providers share: the client, timeouts, turning an HTTP error answer into a
//! readable `ProviderError`, and reading an event stream with an idle timeout.
//!
//! Error messages are built from the server's answer and the transport's error chain; neither
//! contains request headers, so an API key never reaches a message.

use std::time::Duration;

use tokio::sync::mpsc;

use super::sse::{SseDecoder, SseEvent};
use super::{ModelEvent, ProviderError};

/// The longest provider error message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 300;
/// The most of an error body read to find its message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How long a provider waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the TCP (and TLS) connection.
    pub connect: Duration,
    /// For the response to start, and then between two pieces of the streamed body. A local
    /// model may take a while to load before its first token, so the default is generous.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), idle: Duration::from_secs(180) }
    }
}

/// A client for one base URL: no proxy for loopback addresses (a local model server must not be
/// sent through a corporate proxy), the environment's proxy settings otherwise.
pub(crate) fn client(base_url: &str, timeouts: Timeouts) -> Result<reqwest::Client, ProviderError> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| ProviderError::Config(format!("the base URL {base_url:?} is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ProviderError::Config(format!("the base URL {base_url:?} is not http or https")));
    }
    let mut builder = reqwest::Client::builder().connect_timeout(timeouts.connect);
    if is_loopback(&url) {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| ProviderError::Config(format!("cannot set up the HTTP client: {}", chain(&e))))
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// `base` with `path` appended, whether or not `base` ends in a slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// Sends the request and waits (at most `idle`) for the answer to start. A non-success status
/// becomes `ProviderError::Http` with the provider's own message if its body has one.
pub(crate) async fn open_stream(
    request: reqwest::RequestBuilder,
    idle: Duration,
) -> Result<SseBody, ProviderError> {
    let response = match tokio::time::timeout(idle, request.send()).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return Err(transport_error(&error)),
        Err(_) => return Err(timeout(idle)),
    };
    let status = response.status();
    if !status.is_success() {
        let body = read_capped(response, idle).await;
        return Err(ProviderError::Http { status: status.as_u16(), message: error_message(status, &body) });
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        // The server ignored `stream: true` (or answered an error with status 200).
        let body = read_capped(response, idle).await;
        return Err(ProviderError::Malformed(format!(
            "expected an event stream, got JSON: {}",
            truncate(String::from_utf8_lossy(&body).trim())
        )));
    }
    Ok(SseBody { response, decoder: SseDecoder::default(), pending: Vec::new(), idle })
}

/// A streamed body read as SSE events.
pub(crate) struct SseBody {
    response: reqwest::Response,
    decoder: SseDecoder,
    /// Decoded events not yet handed out, in reverse order.
    pending: Vec<SseEvent>,
    idle: Duration,
}

impl SseBody {
    /// The next event; `None` at the end of the body. A wait longer than the idle timeout is
    /// `Timeout`; a transport error while reading is `Disconnected`.
    pub(crate) async fn next(&mut self) -> Result<Option<SseEvent>, ProviderError> {
        loop {
            if let Some(event) = self.pending.pop() {
                return Ok(Some(event));
            }
            match tokio::time::timeout(self.idle, self.response.chunk()).await {
                Err(_) => return Err(timeout(self.idle)),
                Ok(Ok(Some(bytes))) => {
                    let mut events = self.decoder.push(&bytes)?;
                    events.reverse();
                    self.pending = events;
                }
                Ok(Ok(None)) => return self.decoder.finish(),
                Ok(Err(error)) => return Err(ProviderError::Disconnected(chain(&error))),
            }
        }
    }
}

/// Where the provider task sends its events. A send fails only when the caller dropped the
/// stream, which also aborts the task, so a failed send needs no handling.
pub(crate) struct Emitter(pub(crate) mpsc::Sender<Result<ModelEvent, ProviderError>>);

impl Emitter {
    pub(crate) async fn event(&self, event: ModelEvent) {
        let _ = self.0.send(Ok(event)).await;
    }

    pub(crate) async fn error(&self, error: ProviderError) {
        let _ = self.0.send(Err(error)).await;
    }
}

pub(crate) fn timeout(idle: Duration) -> ProviderError {
    ProviderError::Timeout { seconds: idle.as_secs() }
}

fn transport_error(error: &reqwest::Error) -> ProviderError {
    if error.is_connect() {
        ProviderError::Connect(chain(error))
    } else if error.is_timeout() {
        ProviderError::Connect(format!("timed out: {}", chain(error)))
    } else if error.is_builder() {
        ProviderError::Config(chain(error))
    } else {
        ProviderError::Disconnected(chain(error))
    }
}

/// The error and its causes, "a: b: c" — reqwest's own message alone ("error sending request")
/// does not say what went wrong.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

async fn read_capped(mut response: reqwest::Response, idle: Duration) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match tokio::time::timeout(idle, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(MAX_ERROR_BODY);
    body
}

/// The provider's message from an error body: `error.message` (OpenAI, Anthropic and most
/// compatible servers), `error` as a string (Ollama), `message` or `detail` (FastAPI-based
/// servers such as vLLM); else the body's text; else the status's reason phrase.
pub(crate) fn error_message(status: reqwest::StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let from_json = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|json| json_message(&json));
    let message = match from_json {
        Some(message) => message,
        None if !text.is_empty() => text.to_owned(),
        None => status.canonical_reason().unwrap_or("no message").to_owned(),
    };
    truncate(&message)
}

/// The message of a JSON error object, if it has one.
pub(crate) fn json_message(json: &serde_json::Value) -> Option<String> {
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    let error = json.get("error");
    error
        .and_then(|error| error.get("message"))
        .and_then(text)
        .or_else(|| error.and_then(text))
        .or_else(|| json.get("message").and_then(text))
        .or_else(|| json.get("detail").map(|detail| text(detail).unwrap_or_else(|| detail.to_string())))
}

/// At most `MAX_MESSAGE_CHARS` characters, with an ellipsis when cut.
pub(crate) fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
