//! Counting tokens without a tokenizer.
//!
//! Coder talks to many models whose tokenizers differ, and downloads none at run time, so it
//! estimates. The estimate is meant to err high, since counting too few is what overflows a
//! window:
//!
//! - ASCII text: one token per 3.5 bytes, rounded up. English prose runs about 4 bytes per token
//!   with the GPT-4o and Claude tokenizers, source code about 3.5 to 4.
//! - Any other character: one token each. CJK text runs about one token per character, accented
//!   Latin letters less.
//! - An attached image: 1,600, the most a provider charges for one.
//! - Each message: 4 tokens more for its role and framing; each tool call its name, its JSON
//!   input and 8 more; each tool offered its name, description, JSON schema and 8 more; the
//!   request 3 more.
//!
//! Once a provider has reported how many input tokens a request really took, `Calibration`
//! scales later estimates for the thread up when the reported count was higher.

use std::collections::HashMap;
use std::sync::Mutex;

use coder_domain::ThreadId;

use crate::provider::{ModelMessage, ModelRequest, ToolSpec};

/// Framing tokens per message (role, separators).
const PER_MESSAGE: u64 = 4;
/// Framing tokens per tool call and per tool offered.
const PER_TOOL: u64 = 8;
/// Tokens of an attached image, whatever its size: the most either provider charges for one
/// (Anthropic about 1,600 for an image at its largest, 1.15 megapixels; OpenAI at most 1,105
/// at high detail).
const IMAGE: u64 = 1_600;
/// Framing tokens per request (the reply's priming).
const PER_REQUEST: u64 = 3;
/// The most a calibration scales an estimate by: a provider reporting more than this is
/// believed only this far, so one odd report cannot make every request look full.
const MAX_SCALE: f64 = 3.0;

/// Tokens of `text`, erring high.
pub fn text_tokens(text: &str) -> u64 {
    let (ascii, other) =
        text.chars().fold(
            (0_u64, 0_u64),
            |(ascii, other), c| {
                if c.is_ascii() {
                    (ascii + 1, other)
                } else {
                    (ascii, other + 1)
                }
            },
        );
    // ⌈ascii / 3.5⌉ in integers.
    (ascii * 2).div_ceil(7) + other
}

/// Tokens of one message of the conversation.
pub fn message_tokens(message: &ModelMessage) -> u64 {
    PER_MESSAGE
        + match message {
            ModelMessage::User { content } => text_tokens(content),
            ModelMessage::Assistant { content, tool_calls } => {
                text_tokens(content)
                    + tool_calls
                        .iter()
                        .map(|call| {
                            PER_TOOL
                                + text_tokens(&call.id)
                                + text_tokens(&call.name)
                                + text_tokens(&call.input.to_string())
                        })
                        .sum::<u64>()
            }
            ModelMessage::ToolResult { tool_call_id, content, .. } => {
                text_tokens(tool_call_id) + text_tokens(content)
            }
            ModelMessage::UserImage { .. } => IMAGE,
        }
}

/// Tokens of the tools offered.
pub fn tools_tokens(tools: &[ToolSpec]) -> u64 {
    tools
        .iter()
        .map(|tool| {
            PER_TOOL
                + text_tokens(&tool.name)
                + text_tokens(&tool.description)
                + text_tokens(&tool.input_schema.to_string())
        })
        .sum()
}

/// Tokens of what a request sends besides its messages: the system prompt and the tools.
pub fn fixed_tokens(system: Option<&str>, tools: &[ToolSpec]) -> u64 {
    PER_REQUEST + system.map_or(0, |s| PER_MESSAGE + text_tokens(s)) + tools_tokens(tools)
}

/// Tokens of a whole request's input (not counting the answer it allows, `max_tokens`).
pub fn request_tokens(request: &ModelRequest) -> u64 {
    fixed_tokens(request.system.as_deref(), &request.tools)
        + request.messages.iter().map(message_tokens).sum::<u64>()
}

/// How much to scale each thread's estimates by, learnt from the input tokens providers
/// reported: a cache beside the log (lost at a restart, when estimates start unscaled again),
/// one per engine.
#[derive(Debug, Default)]
pub struct Calibration {
    scales: Mutex<HashMap<ThreadId, f64>>,
}

impl Calibration {
    /// Notes that a request estimated at `estimated` tokens took `reported` input tokens. Only
    /// a report above the estimate changes anything: an estimate that errs high stays as it is.
    pub fn observe(&self, thread: ThreadId, estimated: u64, reported: u64) {
        if estimated == 0 || reported == 0 {
            return;
        }
        let scale = (reported as f64 / estimated as f64).clamp(1.0, MAX_SCALE);
        self.scales.lock().unwrap_or_else(|e| e.into_inner()).insert(thread, scale);
    }

    /// `estimate` scaled for `thread`.
    pub fn apply(&self, thread: ThreadId, estimate: u64) -> u64 {
        let scale =
            self.scales.lock().unwrap_or_else(|e| e.into_inner()).get(&thread).copied().unwrap_or(1.0);
        (estimate as f64 * scale).ceil() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolCall;

    #[test]
    fn ascii_counts_a_token_per_three_and_a_half_bytes_rounded_up() {
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("a"), 1);
        assert_eq!(text_tokens("abcdefg"), 2, "7 bytes are 2 tokens");
        assert_eq!(text_tokens("abcdefgh"), 3, "8 bytes are 2.3, rounded up");
        assert_eq!(text_tokens("日本語"), 3, "each character outside ASCII is a token");
    }

    #[test]
    fn the_estimate_counts_more_than_a_token_per_four_bytes() {
        // English prose averages about four bytes per token with the GPT-4o and Claude
        // tokenizers; code a little less. The estimate stays above both.
        for text in [
            "The quick brown fox jumps over the lazy dog again.",
            "fn main() { println!(\"{}\", answer()); }",
        ] {
            assert!(text_tokens(text) * 4 >= text.len() as u64 + 8, "{text}: {}", text_tokens(text));
        }
    }

    #[test]
    fn a_message_counts_its_framing_and_its_tool_calls() {
        let plain = ModelMessage::Assistant { content: "abcdefg".into(), tool_calls: vec![] };
        assert_eq!(message_tokens(&plain), 4 + 2);
        let with_call = ModelMessage::Assistant {
            content: "abcdefg".into(),
            tool_calls: vec![ToolCall { id: "c".into(), name: "read".into(), input: serde_json::json!({}) }],
        };
        // 8 framing + "c" 1 + "read" 2 + "{}" 1
        assert_eq!(message_tokens(&with_call), 4 + 2 + 8 + 1 + 2 + 1);
    }

    #[test]
    fn calibration_only_ever_scales_up_and_is_bounded() {
        let calibration = Calibration::default();
        let thread = ThreadId::new();
        calibration.observe(thread, 100, 50);
        assert_eq!(
            calibration.apply(thread, 100),
            100,
            "a provider counting fewer tokens leaves the estimate"
        );
        calibration.observe(thread, 100, 150);
        assert_eq!(calibration.apply(thread, 100), 150);
        calibration.observe(thread, 100, 10_000);
        assert_eq!(calibration.apply(thread, 100), 300, "one odd report scales at most threefold");
        assert_eq!(calibration.apply(ThreadId::new(), 100), 100, "each thread has its own scale");
    }
}
