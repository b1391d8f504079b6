//! A loopback HTTP server that plays scripted model responses, for tests that want the real
//! providers over real HTTP without a model.
//!
//! `ScriptServer::openai(turns)` and `ScriptServer::anthropic(turns)` listen on 127.0.0.1 at an
//! ephemeral port and answer each request with the next turn: a script of `ModelEvent`s rendered
//! into the provider's wire format (OpenAI chat completion chunks, Anthropic SSE events), or a
//! fault — an error status, a redirect, a connection dropped mid-stream, a garbage line, a stall. Every
//! request is recorded with its headers and body, so a test can check what the model was sent.
//! Dropping the server stops it and every connection it holds.
//!
//! This module is compiled always (it is small and uses only what the providers use), so the
//! run loop's and the app's tests can use it too.

mod server;
pub(crate) mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use crate::provider::ModelEvent;

/// What goes wrong in a turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and body (`application/json`); the turn's events are not sent.
    Status(u16, String),
    /// Send the first `n` SSE events of the turn's script, then close the connection without
    /// ending the response. Events are counted as rendered: OpenAI sends one chunk per text
    /// delta; Anthropic starts with `message_start` and `ping`, then a `content_block_start`.
    DropAfter(usize),
    /// Send the turn's events, then a line that is not JSON, in place of the end marker.
    Malformed,
    /// Send the headers and the turn's events, then nothing, holding the connection open until
    /// the client goes away.
    Stall,
    /// Send the turn's events, then this text as it is (an `error` event, say) in place of the
    /// end marker, and end the body.
    Raw(String),
    /// Answer `307 Temporary Redirect` to this absolute URL (which may be another server's).
    Redirect(String),
}

/// One response of the server.
///
/// A `ModelEvent::ToolCall` whose input is a JSON string is sent with that string as its raw
/// arguments — the way to script arguments that are not JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub events: Vec<ModelEvent>,
    pub fault: Option<Fault>,
}

impl Turn {
    /// A complete streamed response.
    pub fn reply(events: Vec<ModelEvent>) -> Self {
        Self { events, fault: None }
    }

    /// A fault with no events before it.
    pub fn fault(fault: Fault) -> Self {
        Self { events: Vec::new(), fault: Some(fault) }
    }

    /// `events` on the wire, then `fault`.
    pub fn faulty(events: Vec<ModelEvent>, fault: Fault) -> Self {
        Self { events, fault: Some(fault) }
    }
}

/// The wire format the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `POST /v1/chat/completions`.
    OpenAi,
    /// `POST /v1/messages`.
    Anthropic,
}

/// How the streamed body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Framing {
    /// `Transfer-Encoding: chunked`, one HTTP chunk per SSE event.
    #[default]
    Chunked,
    /// No length: the body ends when the server closes the connection.
    CloseDelimited,
}

/// How the server sends its bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServeOptions {
    pub framing: Framing,
    /// Write the stream in pieces of this many bytes, with a pause between them, so that lines
    /// and multi-byte characters arrive split between reads.
    pub fragment: Option<usize>,
}

/// One request the server received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Header names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// A scripted model server on loopback; stops when dropped.
#[derive(Debug)]
pub struct ScriptServer {
    addr: SocketAddr,
    wire: Wire,
    shared: Arc<server::Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptServer {
    /// An OpenAI-compatible server. Must be called inside a Tokio runtime.
    pub fn openai(turns: impl IntoIterator<Item = Turn>) -> std::io::Result<Self> {
        Self::start(Wire::OpenAi, turns, ServeOptions::default())
    }

    /// An Anthropic Messages server. Must be called inside a Tokio runtime.
    pub fn anthropic(turns: impl IntoIterator<Item = Turn>) -> std::io::Result<Self> {
        Self::start(Wire::Anthropic, turns, ServeOptions::default())
    }

    /// A server with the given options. Must be called inside a Tokio runtime.
    pub fn start(
        wire: Wire,
        turns: impl IntoIterator<Item = Turn>,
        options: ServeOptions,
    ) -> std::io::Result<Self> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let shared = Arc::new(server::Shared {
            wire,
            options,
            turns: turns.into_iter().collect(),
            state: Mutex::new(server::State::default()),
        });
        let task = tokio::spawn(server::serve(listener, Arc::clone(&shared)));
        Ok(Self { addr, wire, shared, task })
    }

    /// What to configure the provider with: `http://127.0.0.1:PORT/v1` for OpenAI (the
    /// provider appends `/chat/completions`), `http://127.0.0.1:PORT` for Anthropic (the provider
    /// appends `/v1/messages`).
    pub fn base_url(&self) -> String {
        match self.wire {
            Wire::OpenAi => format!("http://{}/v1", self.addr),
            Wire::Anthropic => format!("http://{}", self.addr),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.state.lock().unwrap_or_else(PoisonError::into_inner).requests.clone()
    }
}

impl Drop for ScriptServer {
    fn drop(&mut self) {
        // The connection tasks live in a `JoinSet` owned by this task, so they stop with it.
        self.task.abort();
    }
}
