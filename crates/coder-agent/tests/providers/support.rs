//! What the provider tests share: a conversation to send, a fixed tool, and collecting a stream.

use std::time::Duration;

use coder_agent::provider::{
    ModelEvent, ModelMessage, ModelRequest, ModelStream, ProviderError, StopReason, ToolCall, ToolSpec, Usage,
};
use serde_json::json;

/// The API key the tests configure; it must reach the server in its header and nowhere else.
pub const SECRET: &str = "sk-test-secret-4f9c2a";

/// How long a test waits for a whole response before calling it hung.
const RESPONSE_LIMIT: Duration = Duration::from_secs(20);

/// A short idle timeout for the stall tests.
pub const SHORT_IDLE: Duration = Duration::from_millis(400);

/// Everything a stream yielded: its events, and the error that ended it, if any.
#[derive(Debug)]
pub struct Collected {
    pub events: Vec<ModelEvent>,
    pub error: Option<ProviderError>,
}

impl Collected {
    pub fn text(&self) -> String {
        self.events
            .iter()
            .filter_map(|event| match event {
                ModelEvent::TextDelta(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn deltas(&self) -> Vec<&str> {
        self.events
            .iter()
            .filter_map(|event| match event {
                ModelEvent::TextDelta(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn tool_calls(&self) -> Vec<&ToolCall> {
        self.events
            .iter()
            .filter_map(|event| match event {
                ModelEvent::ToolCall(call) => Some(call),
                _ => None,
            })
            .collect()
    }

    pub fn error(&self) -> &ProviderError {
        self.error
            .as_ref()
            .unwrap_or_else(|| panic!("the stream should have ended in an error: {:?}", self.events))
    }
}

/// Reads the stream to its end. Checks the contract every provider keeps: nothing follows an
/// error, and a response without error ends with `Stop` and has no event after it.
pub async fn collect(mut stream: ModelStream) -> Collected {
    let mut events = Vec::new();
    let mut error = None;
    let read = async {
        while let Some(item) = stream.next().await {
            assert!(error.is_none(), "an item followed the error {error:?}: {item:?}");
            match item {
                Ok(event) => {
                    assert!(
                        !matches!(events.last(), Some(ModelEvent::Stop(_))),
                        "an event followed Stop: {event:?}"
                    );
                    events.push(event);
                }
                Err(fault) => error = Some(fault),
            }
        }
    };
    tokio::time::timeout(RESPONSE_LIMIT, read).await.expect("the stream should end by itself");
    if error.is_none() {
        assert!(
            matches!(events.last(), Some(ModelEvent::Stop(_))),
            "a complete response ends with Stop: {events:?}"
        );
    }
    Collected { events, error }
}

/// A one-message request offering `list_files`.
pub fn hello_request() -> ModelRequest {
    ModelRequest {
        model: String::new(),
        system: Some("You are a careful coding agent.".into()),
        messages: vec![ModelMessage::User { content: "Hello there".into() }],
        tools: vec![list_files_spec()],
        max_tokens: 1024,
    }
}

pub fn list_files_spec() -> ToolSpec {
    ToolSpec {
        name: "list_files".into(),
        description: "List the files of a folder of the project.".into(),
        input_schema: json!({
            "type": "object",
            "properties": { "path": { "type": "string" } },
            "required": ["path"],
        }),
    }
}

/// A conversation with two tool calls: one ran, one was rejected by the person.
pub fn conversation_request() -> ModelRequest {
    ModelRequest {
        model: "special-model".into(),
        system: Some("Be brief.".into()),
        messages: vec![
            ModelMessage::User { content: "Tidy up the notes".into() },
            ModelMessage::Assistant {
                content: "Let me look first.".into(),
                tool_calls: vec![
                    ToolCall {
                        id: "call_a".into(),
                        name: "list_files".into(),
                        input: json!({ "path": "notes" }),
                    },
                    ToolCall {
                        id: "call_b".into(),
                        name: "run_command".into(),
                        input: json!({ "command": "rm -rf notes/tmp" }),
                    },
                ],
            },
            ModelMessage::ToolResult {
                tool_call_id: "call_a".into(),
                content: "a.md\nb.md".into(),
                is_error: false,
            },
            ModelMessage::ToolResult {
                tool_call_id: "call_b".into(),
                content: "The person rejected this step.".into(),
                is_error: true,
            },
            ModelMessage::User { content: "Keep the temp folder.".into() },
        ],
        tools: vec![list_files_spec()],
        max_tokens: 2048,
    }
}

/// A plain answer in three deltas.
pub fn plain_script() -> Vec<ModelEvent> {
    vec![
        ModelEvent::TextDelta("Hel".into()),
        ModelEvent::TextDelta("lo, ".into()),
        ModelEvent::TextDelta("wörld ✓".into()),
        ModelEvent::Usage(Usage::new(42, 7)),
        ModelEvent::Stop(StopReason::EndTurn),
    ]
}

/// Text, then two tool calls whose arguments are long enough to be split into many chunks.
pub fn tool_script() -> Vec<ModelEvent> {
    vec![
        ModelEvent::TextDelta("Looking around.".into()),
        ModelEvent::ToolCall(tool_call_one()),
        ModelEvent::ToolCall(tool_call_two()),
        ModelEvent::Usage(Usage::new(100, 30)),
        ModelEvent::Stop(StopReason::ToolUse),
    ]
}

pub fn tool_call_one() -> ToolCall {
    ToolCall {
        id: "call_one".into(),
        name: "list_files".into(),
        input: json!({ "path": "src/provider", "depth": 2, "filters": ["*.rs", "*.toml"], "note": "naïve — ok" }),
    }
}

pub fn tool_call_two() -> ToolCall {
    ToolCall { id: "call_two".into(), name: "read_file".into(), input: json!({ "path": "README.md" }) }
}

/// The address of a port nothing listens on.
pub fn refused_base_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}{path}")
}

/// Asserts that `secret` appears in no header but `allowed_header`, nor in the path or body.
pub fn assert_secret_only_in(
    request: &coder_agent::testing::RecordedRequest,
    allowed_header: &str,
    expected: &str,
) {
    assert_eq!(request.header(allowed_header), Some(expected), "the key must be sent in {allowed_header}");
    assert!(!request.body.contains(SECRET), "the key must not be in the request body");
    assert!(!request.path.contains(SECRET), "the key must not be in the URL");
    for (name, value) in &request.headers {
        if !name.eq_ignore_ascii_case(allowed_header) {
            assert!(!value.contains(SECRET), "the key must not be in header {name}");
        }
    }
}
