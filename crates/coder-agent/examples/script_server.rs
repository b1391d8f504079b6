//! Serves a fixed OpenAI-compatible scenario on loopback, for trying `coder run` end to end
//! without a model: the "model" reads `hello.txt`, edits it (which needs approval), runs a command
//! (which needs approval) and answers.
//!
//! ```sh
//! cargo run -p coder-agent --example script_server      # prints the base URL, serves ten minutes
//! coder run --project DIR --provider openai --base-url URL "Make hello.txt greet the world"
//! ```

#![allow(clippy::print_stdout)]

use std::time::Duration;

use coder_agent::provider::{ModelEvent, StopReason, ToolCall, Usage};
use coder_agent::testing::{ScriptServer, Turn};
use serde_json::json;

fn turn(text: &str, call: Option<(&str, serde_json::Value)>, usage: (u32, u32)) -> Turn {
    let mut events: Vec<ModelEvent> =
        text.split_inclusive(' ').map(|w| ModelEvent::TextDelta(w.to_string())).collect();
    let stop = match call {
        Some((name, input)) => {
            events.push(ModelEvent::ToolCall(ToolCall {
                id: format!("call_{name}"),
                name: name.into(),
                input,
            }));
            StopReason::ToolUse
        }
        None => StopReason::EndTurn,
    };
    events.push(ModelEvent::Usage(Usage::new(usage.0, usage.1)));
    events.push(ModelEvent::Stop(stop));
    Turn::reply(events)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let server = ScriptServer::openai([
        turn("Let me read the file first.", Some(("read_file", json!({"path": "hello.txt"}))), (820, 24)),
        turn(
            "It says hello. I'll make it greet the world.",
            Some((
                "edit_file",
                json!({"path": "hello.txt", "old_text": "hello", "new_text": "hello, world"}),
            )),
            (910, 41),
        ),
        turn(
            "Now let me check the result.",
            Some(("run_command", json!({"command": "cat hello.txt"}))),
            (990, 22),
        ),
        turn("Done: hello.txt now reads \"hello, world\".", None, (1050, 15)),
    ])?;
    println!("{}", server.base_url());
    tokio::time::sleep(Duration::from_secs(600)).await;
    Ok(())
}
