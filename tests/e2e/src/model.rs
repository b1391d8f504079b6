//! The model the app talks to in a test: `coder_agent::testing::ScriptServer` on loopback, with
//! the Tokio runtime it runs on, and helpers to script turns.

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use coder_agent::provider::{ModelEvent, StopReason, ToolCall, Usage};
use coder_agent::settings::ProviderKind;
use coder_agent::testing::{RecordedRequest, ScriptServer, ServeOptions, Turn, Wire};
use coder_agent::Settings;

/// The model name the app is configured with.
pub const MODEL: &str = "e2e-model";

/// The default HTTP port, where `ScriptedModel::on_port_80` serves: a URL on it shows no port.
const PORT_80: u16 = 80;

/// Held by the one model in this process that serves on port 80.
static ON_PORT_80: Mutex<()> = Mutex::new(());

/// A scripted model server and its runtime; stops when dropped.
#[derive(Debug)]
pub struct ScriptedModel {
    // Declared before the runtime so the server and the forwarder stop before their runtime does.
    server: ScriptServer,
    forwarder: Option<Forwarder>,
    wire: Wire,
    _runtime: tokio::runtime::Runtime,
}

/// Connections to loopback port 80, passed on to the server.
#[derive(Debug)]
struct Forwarder {
    task: tokio::task::JoinHandle<()>,
    _port: MutexGuard<'static, ()>,
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        // The connections live in a `JoinSet` owned by the task, so they stop with it.
        self.task.abort();
    }
}

impl ScriptedModel {
    /// An OpenAI-compatible server answering each request with the next turn, as fast as it can.
    pub fn openai(turns: impl IntoIterator<Item = Turn>) -> Self {
        Self::start(Wire::OpenAi, turns, ServeOptions::default())
    }

    /// Like `openai`, but the bytes trickle out (see `paced`), so a test can watch text stream in.
    pub fn openai_paced(turns: impl IntoIterator<Item = Turn>) -> Self {
        Self::start(Wire::OpenAi, turns, paced())
    }

    pub fn start(wire: Wire, turns: impl IntoIterator<Item = Turn>, options: ServeOptions) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a Tokio runtime starts");
        let server = {
            let _entered = runtime.enter();
            ScriptServer::start(wire, turns, options).expect("the script server binds a loopback port")
        };
        Self { server, forwarder: None, wire, _runtime: runtime }
    }

    /// Serves on loopback port 80 too, and points the app there, so the provider label (at the
    /// foot of the sidebar, and in every run's steps) reads `http://127.0.0.1/v1` instead of a
    /// random port: for screenshots. Where port 80 cannot be had (no root, or it is taken) the
    /// model stays on its own port, and says so. Models on port 80 in one test process take
    /// turns: this waits while another one holds it, so call it before starting the app (a test
    /// waiting here must not hold the app's turn, which the holder of port 80 may wait for).
    pub fn on_port_80(mut self) -> Self {
        let turn = ON_PORT_80.lock().unwrap_or_else(PoisonError::into_inner);
        let listener = match std::net::TcpListener::bind(("127.0.0.1", PORT_80)) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("e2e: the model stays on {}: port 80 is not available ({e})", self.server.addr());
                return self;
            }
        };
        let task = {
            let _entered = self._runtime.enter();
            listener.set_nonblocking(true).expect("a listener can be made non-blocking");
            let listener = tokio::net::TcpListener::from_std(listener).expect("Tokio takes the listener");
            tokio::spawn(forward(listener, self.server.addr()))
        };
        self.forwarder = Some(Forwarder { task, _port: turn });
        self
    }

    /// The URL the app is pointed at.
    pub fn base_url(&self) -> String {
        let url = self.server.base_url();
        match self.forwarder {
            Some(_) => url.replace(&self.server.addr().to_string(), "127.0.0.1"),
            None => url,
        }
    }

    /// Settings that point the app at this server.
    pub fn settings(&self) -> Settings {
        let provider = match self.wire {
            Wire::OpenAi => ProviderKind::Openai,
            Wire::Anthropic => ProviderKind::Anthropic,
        };
        Settings { provider, base_url: self.base_url(), model: MODEL.into(), ..Settings::default() }
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }

    /// Waits until at least `count` requests arrived; panics after `timeout`.
    pub fn wait_for_requests(&self, count: usize, timeout: Duration) -> Vec<RecordedRequest> {
        let deadline = Instant::now() + timeout;
        loop {
            let requests = self.requests();
            if requests.len() >= count {
                return requests;
            }
            assert!(
                Instant::now() < deadline,
                "the model got {} requests within {timeout:?}, expected {count}",
                requests.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The `messages` of request `index` (OpenAI wire), for checking what the model was sent.
    pub fn messages(&self, index: usize) -> Vec<serde_json::Value> {
        let requests = self.requests();
        let request = requests
            .get(index)
            .unwrap_or_else(|| panic!("the model got {} requests, none with index {index}", requests.len()));
        let body = request.json().expect("the app sends JSON");
        body["messages"].as_array().cloned().unwrap_or_default()
    }
}

/// Passes every connection `listener` accepts on to `upstream`, byte for byte.
async fn forward(listener: tokio::net::TcpListener, upstream: SocketAddr) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        let Ok((mut client, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        connections.spawn(async move {
            if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                // Either side closing ends the exchange; there is nobody to tell about an error.
                let _closed = tokio::io::copy_bidirectional(&mut client, &mut server).await;
            }
        });
    }
}

/// Serving that writes 8 bytes at a time with a short pause after each: about a tenth of a
/// second per word on the OpenAI wire, so a test polling the page sees the text grow.
pub fn paced() -> ServeOptions {
    ServeOptions { fragment: Some(8), ..ServeOptions::default() }
}

/// A turn that answers `text`, streamed word by word, and ends the run.
pub fn answer(text: &str) -> Turn {
    let mut events = words(text);
    events.push(ModelEvent::Usage(Usage::new(100, 20)));
    events.push(ModelEvent::Stop(StopReason::EndTurn));
    Turn::reply(events)
}

/// A turn that says `say`, then calls `tool` with `input` (a tool that writes or runs
/// something waits for the person's approval).
pub fn tool_call(say: &str, tool: &str, input: serde_json::Value) -> Turn {
    let mut events = words(say);
    events.push(ModelEvent::ToolCall(ToolCall { id: format!("call_{tool}"), name: tool.into(), input }));
    events.push(ModelEvent::Usage(Usage::new(200, 30)));
    events.push(ModelEvent::Stop(StopReason::ToolUse));
    Turn::reply(events)
}

/// `text` as one delta per word (each with its trailing space).
fn words(text: &str) -> Vec<ModelEvent> {
    text.split_inclusive(' ').map(|word| ModelEvent::TextDelta(word.to_owned())).collect()
}

/// The text of the user messages in an OpenAI request's `messages`.
pub fn user_texts(messages: &[serde_json::Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["role"] == "user")
        .map(|m| match &m["content"] {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}
