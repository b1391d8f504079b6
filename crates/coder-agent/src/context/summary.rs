//! Asking the model for a summary of the older part of a thread.
//!
//! The summary request is separate from the conversation: the instructions, then one user
//! message holding the summary so far and the replaced messages written out as a transcript.
//! Written out, a tool call and its result are plain text, so no provider can refuse them as
//! unpaired, and no tools need to be offered. When the replaced messages do not fit one
//! request, they are folded in piece by piece: each request adds one piece to the summary the
//! previous one wrote. A single message too long for a piece is cut.

use tokio_util::sync::CancellationToken;

use super::estimate::{fixed_tokens, text_tokens};
use super::Budget;
use crate::provider::{ModelEvent, ModelMessage, ModelRequest, Provider, ProviderError, Usage};

/// The name of the run step that writes a summary.
pub const SUMMARY_STEP: &str = "Summarize earlier messages";

/// What the model is told to do with the older messages.
pub const SUMMARY_INSTRUCTIONS: &str = "You write the running summary of a conversation between a \
person and Coder, an assistant that works in the person's project folder with tools. The summary \
replaces the older messages: whoever carries the work on will have only the summary and the newer \
messages. Keep every decision and its reason, the file paths, names and commands involved and what \
they showed, what was changed, errors met, the person's requests and preferences, and the open tasks \
and next steps. Leave out greetings and repetition. Answer with the summary alone, as plain text, as \
short as it can be while keeping all of that.";

/// Framing tokens of the summary request beyond the instructions, the summary so far and the
/// transcript.
const REQUEST_FRAMING: u64 = 32;
/// The smallest piece of transcript worth a request.
const MIN_PIECE: u64 = 128;

/// Writing a summary failed; nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SummaryError {
    #[error(
        "the model's context window of {window} tokens is too small: Coder's instructions and tools alone take about {fixed} of it"
    )]
    WindowTooSmall { window: u64, fixed: u64 },
    #[error("the model could not summarize the earlier messages: {0}")]
    Provider(ProviderError),
    #[error("the model answered the request for a summary with no text")]
    Empty,
    #[error("the summary was cancelled")]
    Cancelled,
    /// The summary was written but the log refused it (another summary got there first, say).
    #[error("the summary was not recorded: {0}")]
    NotRecorded(String),
}

impl SummaryError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WindowTooSmall { .. } => "invalid_input",
            Self::Provider(e) => provider_code(e),
            Self::Empty => "provider_malformed",
            Self::Cancelled | Self::NotRecorded(_) => "illegal_transition",
        }
    }
}

/// The IPC code of a provider fault (the codes the app gives `ProviderError`).
fn provider_code(e: &ProviderError) -> &'static str {
    match e {
        ProviderError::Http { .. } => "provider_rejected",
        ProviderError::Timeout { .. } => "provider_timeout",
        ProviderError::Malformed(_) => "provider_malformed",
        ProviderError::Disconnected(_) => "provider_disconnected",
        ProviderError::Connect(_) => "provider_unreachable",
        ProviderError::Config(_) => "provider_not_configured",
        ProviderError::TooLarge(_) => "provider_too_large",
        ProviderError::InsecureHttp { .. } => "provider_insecure_http",
        ProviderError::Redirected(_) => "provider_redirected",
        _ => "internal",
    }
}

/// A summary the model wrote, and what writing it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub text: String,
    pub usage: Usage,
    /// Requests made: more than one when the replaced messages came in pieces.
    pub requests: u32,
}

/// Requests one summary makes at most (see `summarize`).
pub const MAX_PIECES: usize = 8;

/// Asks the model for a summary of `previous` (the summary so far) and `replaced` (the
/// messages it is to stand for), each request within `budget`.
pub async fn summarize(
    provider: &dyn Provider,
    model: &str,
    budget: &Budget,
    previous: Option<&str>,
    replaced: &[ModelMessage],
    cancel: &CancellationToken,
) -> Result<Written, SummaryError> {
    let fixed = fixed_tokens(Some(SUMMARY_INSTRUCTIONS), &[]) + REQUEST_FRAMING;
    // The summary so far (at most `budget.summary`, give or take the estimate) and the answer
    // share the window with a piece of transcript.
    let piece_budget = budget.limit.saturating_sub(fixed + 2 * budget.summary).max(MIN_PIECE);
    let mut pieces = pieces(replaced, piece_budget);
    // A history far longer than the window (a switch to a much smaller model, say) would take
    // one paid request per piece: only the newest `MAX_PIECES` are folded in, and the summary
    // says that older messages were left out of it.
    let left_out = pieces.len().saturating_sub(MAX_PIECES);
    pieces.drain(..left_out);
    let mut summary = previous.map(str::to_owned);
    if left_out > 0 {
        let note = format!(
            "(The {left_out} oldest parts of the conversation were too long to summarize and are left out; \
             the thread's full history is still in Coder's log.)"
        );
        summary = Some(match summary {
            Some(previous) => format!("{note}\n\n{previous}"),
            None => note,
        });
    }
    let mut usage = Usage::default();
    let mut requests = 0;
    for piece in &pieces {
        let request = request(model, summary.as_deref(), piece, budget.summary);
        let (text, used) = ask(provider, request, cancel).await?;
        usage.add(used);
        requests += 1;
        summary = Some(text);
    }
    let text = summary.filter(|s| !s.trim().is_empty()).ok_or(SummaryError::Empty)?;
    Ok(Written { text: cut_bytes(text.trim(), coder_domain::limits::MESSAGE_BYTES), usage, requests })
}

/// The request that folds `transcript` into `summary`.
fn request(model: &str, summary: Option<&str>, transcript: &str, max_tokens: u64) -> ModelRequest {
    let content = match summary {
        Some(summary) => format!(
            "The summary so far:\n\n{summary}\n\nThe messages that came after it, oldest first, to fold into it:\n\n{transcript}"
        ),
        None => format!("The messages to summarize, oldest first:\n\n{transcript}"),
    };
    ModelRequest {
        model: model.to_owned(),
        system: Some(SUMMARY_INSTRUCTIONS.into()),
        messages: vec![ModelMessage::User { content }],
        tools: Vec::new(),
        max_tokens: u32::try_from(max_tokens).unwrap_or(u32::MAX),
    }
}

/// One request's answer as text, and its usage.
async fn ask(
    provider: &dyn Provider,
    request: ModelRequest,
    cancel: &CancellationToken,
) -> Result<(String, Usage), SummaryError> {
    let mut stream = provider.stream(request);
    let mut text = String::new();
    let mut usage = Usage::default();
    loop {
        let item = tokio::select! {
            _ = cancel.cancelled() => return Err(SummaryError::Cancelled),
            item = stream.next() => item,
        };
        match item {
            Some(Ok(ModelEvent::TextDelta(delta))) => text.push_str(&delta),
            Some(Ok(ModelEvent::Usage(used))) => usage.add(used),
            // A summary cut off at its token limit is still a summary.
            Some(Ok(ModelEvent::Stop(_))) => return Ok((text, usage)),
            // Nothing was offered to call; a call anyway is ignored.
            Some(Ok(ModelEvent::ToolCall(_))) => {}
            Some(Err(e)) => return Err(SummaryError::Provider(e)),
            None => {
                return Err(SummaryError::Provider(ProviderError::Disconnected(
                    "the response ended without saying why".into(),
                )))
            }
        }
    }
}

/// The transcript of `messages`, in pieces of at most about `budget` tokens each (a single
/// entry longer than that is cut to it).
fn pieces(messages: &[ModelMessage], budget: u64) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut piece = String::new();
    let mut tokens = 0;
    for entry in messages.iter().flat_map(entries) {
        let entry = cut_tokens(&entry, budget);
        let size = text_tokens(&entry) + 1;
        if tokens + size > budget && !piece.is_empty() {
            pieces.push(std::mem::take(&mut piece));
            tokens = 0;
        }
        piece.push_str(&entry);
        piece.push('\n');
        tokens += size;
    }
    if !piece.is_empty() || pieces.is_empty() {
        pieces.push(piece);
    }
    pieces
}

/// A model message as transcript entries.
fn entries(message: &ModelMessage) -> Vec<String> {
    match message {
        ModelMessage::User { content } => vec![format!("Person: {content}")],
        ModelMessage::Assistant { content, tool_calls } => {
            let said = (!content.trim().is_empty()).then(|| format!("Coder: {content}"));
            said.into_iter()
                .chain(
                    tool_calls.iter().map(|call| format!("Coder called {} with {}", call.name, call.input)),
                )
                .collect()
        }
        ModelMessage::ToolResult { content, is_error, .. } => {
            let what = if *is_error { "Tool error" } else { "Tool result" };
            vec![format!("{what}: {content}")]
        }
        ModelMessage::UserImage { image } => {
            vec![format!("(The person attached an image, {}.)", image.mime_type)]
        }
    }
}

/// `text` cut to at most about `max` estimated tokens, saying so.
fn cut_tokens(text: &str, max: u64) -> String {
    if text_tokens(text) <= max {
        return text.to_owned();
    }
    const MARK: &str = " … (cut)";
    let room = max.saturating_sub(text_tokens(MARK));
    // Characters are added while the estimate of the kept part stays within the room.
    let (mut ascii, mut other, mut end) = (0_u64, 0_u64, 0);
    for (at, c) in text.char_indices() {
        if c.is_ascii() {
            ascii += 1;
        } else {
            other += 1;
        }
        if (ascii * 2).div_ceil(7) + other > room {
            break;
        }
        end = at + c.len_utf8();
    }
    format!("{}{MARK}", &text[..end])
}

/// `text` cut to at most `max` bytes at a character boundary.
fn cut_bytes(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ToolCall;

    #[test]
    fn a_transcript_is_cut_into_pieces_that_fit() {
        let messages: Vec<ModelMessage> = (0..40)
            .flat_map(|i| {
                [
                    ModelMessage::User { content: format!("question {i} {}", "x".repeat(200)) },
                    ModelMessage::Assistant {
                        content: String::new(),
                        tool_calls: vec![ToolCall {
                            id: format!("c{i}"),
                            name: "read_file".into(),
                            input: serde_json::json!({"path": format!("src/{i}.rs")}),
                        }],
                    },
                    ModelMessage::ToolResult {
                        tool_call_id: format!("c{i}"),
                        content: "y".repeat(5000),
                        is_error: false,
                    },
                ]
            })
            .collect();
        let pieces = pieces(&messages, 500);
        assert!(pieces.len() > 10, "{} pieces", pieces.len());
        for piece in &pieces {
            assert!(text_tokens(piece) <= 500 + 3, "every piece fits its budget: {}", text_tokens(piece));
        }
        let all = pieces.concat();
        assert!(
            all.contains("Coder called read_file with {\"path\":\"src/39.rs\"}"),
            "calls are written out"
        );
        assert!(all.contains("question 0") && all.contains("question 39"), "nothing is left out");
        assert!(all.contains("… (cut)"), "a result longer than a piece is cut");
    }

    #[tokio::test]
    async fn a_history_far_longer_than_the_window_costs_a_bounded_number_of_requests() {
        use crate::provider::{text_deltas, ModelEvent, ScriptedProvider, StopReason};
        let messages: Vec<ModelMessage> = (0..400)
            .map(|i| ModelMessage::User { content: format!("message {i} {}", "z".repeat(2000)) })
            .collect();
        let answers = (0..MAX_PIECES * 2)
            .map(|i| {
                let mut events = text_deltas(&format!("summary {i}"));
                events.push(ModelEvent::Stop(StopReason::EndTurn));
                events
            })
            .collect();
        let provider = ScriptedProvider::new(answers);
        let budget = Budget::new(4_096, 500).unwrap();
        let written =
            summarize(&provider, "m", &budget, None, &messages, &CancellationToken::new()).await.unwrap();
        assert_eq!(written.requests as usize, MAX_PIECES, "at most MAX_PIECES requests");
        let first = provider.requests()[0].messages[0].clone();
        let ModelMessage::User { content } = first else { panic!("a user turn") };
        assert!(
            content.contains("oldest parts of the conversation were too long"),
            "the summary says so: {content}"
        );
        assert!(
            provider.requests().last().is_some_and(|r| format!("{:?}", r.messages).contains("message 399")),
            "the newest are kept"
        );
    }

    #[test]
    fn cutting_to_tokens_keeps_within_the_estimate() {
        let text = "é".repeat(50) + &"a".repeat(500);
        let cut = cut_tokens(&text, 60);
        assert!(text_tokens(&cut) <= 60, "{}", text_tokens(&cut));
        assert!(cut.ends_with("… (cut)"));
        assert_eq!(cut_tokens("short", 60), "short");
    }
}
