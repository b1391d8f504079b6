//! A provider that plays recorded turns without any network: for tests of the run loop, and for
//! the offline demo that lets a person try the app without a model.
//!
//! `ScriptedProvider::new` plays one turn per `stream` call, in order; a call after the last
//! turn gets `ProviderError::Config("the script has no more turns")`. Every request is kept, so
//! a test can check what the model would have been sent.
//!
//! `ScriptedProvider::demo` is different: it decides each reply from the request alone, so it
//! works for any project folder and any number of messages. To a new message it explains that it
//! is a demo and lists the project's files; when the listing shows a README it reads it; then it
//! answers with what it found. It only calls tools the request offers, and says "demo" in its
//! label and in its text, so nobody mistakes it for a model.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use serde_json::json;

use super::http::Emitter;
use super::{
    ModelEvent, ModelMessage, ModelRequest, ModelStream, Provider, ProviderError, StopReason, ToolCall, Usage,
};

/// The demo's label.
pub const DEMO_LABEL: &str = "Demo (scripted, no model)";

/// One turn: the items one `stream` call yields, errors included.
pub type ScriptedTurn = Vec<Result<ModelEvent, ProviderError>>;

/// Plays scripted turns.
pub struct ScriptedProvider {
    label: String,
    script: Script,
    delay: Duration,
    state: Mutex<State>,
}

enum Script {
    Turns(Vec<ScriptedTurn>),
    Demo,
}

#[derive(Default)]
struct State {
    next_turn: usize,
    requests: Vec<ModelRequest>,
}

impl ScriptedProvider {
    /// Plays `turns` in order, one per `stream` call, with no delay between items.
    pub fn new(turns: Vec<Vec<ModelEvent>>) -> Self {
        Self::with_results(turns.into_iter().map(|turn| turn.into_iter().map(Ok).collect()).collect())
    }

    /// Like `new`, with turns that may contain faults (an `Err` item ends the stream after it).
    pub fn with_results(turns: Vec<ScriptedTurn>) -> Self {
        Self::from_script(Script::Turns(turns), "Scripted".into(), Duration::ZERO)
    }

    /// The offline demo, with a short delay between deltas so the streaming can be seen.
    pub fn demo() -> Self {
        Self::from_script(Script::Demo, DEMO_LABEL.into(), Duration::from_millis(40))
    }

    fn from_script(script: Script, label: String, delay: Duration) -> Self {
        Self { label, script, delay, state: Mutex::new(State::default()) }
    }

    /// Waits `delay` before each item after the first.
    #[must_use]
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<ModelRequest> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a counter and a log, consistent after any panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl std::fmt::Debug for ScriptedProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScriptedProvider").field("label", &self.label).finish_non_exhaustive()
    }
}

impl Provider for ScriptedProvider {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn stream(&self, request: ModelRequest) -> ModelStream {
        let items = {
            let mut state = self.lock();
            let items = match &self.script {
                Script::Turns(turns) => match turns.get(state.next_turn) {
                    Some(turn) => turn.clone(),
                    None => vec![Err(ProviderError::Config("the script has no more turns".into()))],
                },
                Script::Demo => demo_reply(&request).into_iter().map(Ok).collect(),
            };
            state.next_turn += 1;
            state.requests.push(request);
            items
        };
        let (tx, rx) = ModelStream::channel();
        let delay = self.delay;
        let task = tokio::spawn(async move {
            let out = Emitter(tx);
            for (position, item) in items.into_iter().enumerate() {
                if position > 0 && !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                match item {
                    Ok(event) => out.event(event).await,
                    Err(error) => return out.error(error).await,
                }
            }
        });
        ModelStream::new(rx, task)
    }
}

/// `text` as deltas of a few words each, the way a model streams.
pub fn text_deltas(text: &str) -> Vec<ModelEvent> {
    let mut deltas = Vec::new();
    let mut current = String::new();
    for (count, word) in text.split_inclusive(' ').enumerate() {
        current.push_str(word);
        if count % 3 == 2 {
            deltas.push(ModelEvent::TextDelta(std::mem::take(&mut current)));
        }
    }
    if !current.is_empty() {
        deltas.push(ModelEvent::TextDelta(current));
    }
    deltas
}

/// The demo's reply to `request`, decided from its last message.
fn demo_reply(request: &ModelRequest) -> Vec<ModelEvent> {
    let (text, call) = match request.messages.last() {
        Some(ModelMessage::ToolResult { tool_call_id, content, is_error }) => {
            after_tool(request, tool_name(request, tool_call_id), content, *is_error)
        }
        _ => introduction(request),
    };
    let mut events = text_deltas(&text);
    let stop = match call {
        Some(call) => {
            events.push(ModelEvent::ToolCall(call));
            StopReason::ToolUse
        }
        None => StopReason::EndTurn,
    };
    // No model ran, so no tokens were used.
    events.push(ModelEvent::Usage(Usage::default()));
    events.push(ModelEvent::Stop(stop));
    events
}

/// The reply to a person's message: say what this is, and list the files if that tool is offered.
fn introduction(request: &ModelRequest) -> (String, Option<ToolCall>) {
    let intro = "This is the offline demo: no model is connected, so these replies are scripted and \
                 do not read your message. Watch how a run works:";
    if offers(request, "list_files") {
        let text = format!("{intro} I will list the files of the project folder first.");
        (text, Some(tool_call(request, "list_files", ".")))
    } else {
        (format!("{intro} it streams text, calls tools and reports results. {CONNECT}"), None)
    }
}

/// The reply to the result of the demo's own tool call.
fn after_tool(
    request: &ModelRequest,
    tool: Option<&str>,
    content: &str,
    is_error: bool,
) -> (String, Option<ToolCall>) {
    if is_error {
        let text = format!(
            "(Demo) The step did not run: {}. A model would adapt its plan to that. {CONNECT}",
            first_line(content)
        );
        return (text, None);
    }
    match tool {
        Some("list_files") => match readme_in(content) {
            Some(readme) if offers(request, "read_file") => {
                let text = format!(
                    "(Demo) The project has a {readme}. Let me read it to see what the project is about."
                );
                (text, Some(tool_call(request, "read_file", &readme)))
            }
            _ => {
                let found = entries(content);
                (
                    format!("(Demo) I found {found} in the project folder and no README to read. {CONNECT}"),
                    None,
                )
            }
        },
        Some("read_file") => {
            let text = format!(
                "(Demo) The README is {} long and begins with:\n\n> {}\n\nThat is as far as a scripted demo \
                 goes. {CONNECT}",
                lines(content),
                first_line(content)
            );
            (text, None)
        }
        _ => (format!("(Demo) The tool finished. {CONNECT}"), None),
    }
}

const CONNECT: &str = "To work with a real model, set up a provider: a local server such as Ollama, \
                       or an API key for OpenAI or Anthropic.";

fn offers(request: &ModelRequest, tool: &str) -> bool {
    request.tools.iter().any(|spec| spec.name == tool)
}

/// A call of `tool`, with `path` as its `path` input if its schema has one. The id is unique
/// within the conversation, which is all a provider's id must be.
fn tool_call(request: &ModelRequest, tool: &str, path: &str) -> ToolCall {
    let takes_path = request
        .tools
        .iter()
        .find(|spec| spec.name == tool)
        .is_some_and(|spec| spec.input_schema.pointer("/properties/path").is_some());
    let input = if takes_path { json!({ "path": path }) } else { json!({}) };
    ToolCall { id: format!("demo_call_{}", request.messages.len()), name: tool.into(), input }
}

/// The name of the tool whose call has `id`, from the assistant messages of the request.
fn tool_name<'a>(request: &'a ModelRequest, id: &str) -> Option<&'a str> {
    request.messages.iter().rev().find_map(|message| match message {
        ModelMessage::Assistant { tool_calls, .. } => {
            tool_calls.iter().find(|call| call.id == id).map(|call| call.name.as_str())
        }
        _ => None,
    })
}

/// A README at the top of a listing, whatever the listing's format (lines, JSON, a table).
fn readme_in(listing: &str) -> Option<String> {
    listing
        .split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']' | '{' | '}' | '|'))
        .map(|token| token.trim_start_matches("./"))
        .find(|token| !token.contains('/') && token.to_ascii_lowercase().starts_with("readme"))
        .map(str::to_owned)
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("(empty)");
    super::http::truncate(line)
}

fn lines(text: &str) -> String {
    match text.lines().count() {
        1 => "1 line".into(),
        count => format!("{count} lines"),
    }
}

fn entries(listing: &str) -> String {
    match listing.lines().filter(|line| !line.trim().is_empty()).count() {
        0 => "nothing".into(),
        1 => "1 entry".into(),
        count => format!("{count} entries"),
    }
}
