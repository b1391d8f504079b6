//! Keeping a thread within the model's context window, however long it grows.
//!
//! Before each model call the runner estimates the request (`estimate`). When it would pass
//! `THRESHOLD_PERCENT` of the model's window (`window`), the older part of the thread is
//! summarized: `cut` chooses the last message the summary stands for, so that what follows it
//! fits in about half the room and no tool call is parted from its result; `summary` asks the
//! model for the summary (the previous summary plus the replaced messages, in pieces that fit
//! the window); the runner records it as `ThreadCompacted`, in a run step of its own with its
//! cost. From then on `conversation` sends the summary and what came after it. The messages
//! themselves stay in the log, the chat, the timeline and search.

mod cut;
mod estimate;
#[cfg(test)]
pub(crate) mod script;
mod summary;
mod window;

pub use cut::{at, choose, Cut, CutError};
pub use estimate::{fixed_tokens, message_tokens, request_tokens, text_tokens, tools_tokens, Calibration};
pub use summary::{summarize, SummaryError, Written, SUMMARY_INSTRUCTIONS, SUMMARY_STEP};
pub use window::{family_window, result_chars, window_tokens, OLLAMA_WINDOW, UNKNOWN_MODEL_WINDOW};

/// Summarizing by hand cannot start; nothing was recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompactError {
    #[error(transparent)]
    Cut(#[from] CutError),
    #[error(transparent)]
    Summary(#[from] SummaryError),
    /// The thread's events could not be read.
    #[error("the thread cannot be read: {0}")]
    Read(String),
}

impl CompactError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Cut(CutError::NotFound) => "not_found",
            Self::Cut(CutError::Unsettled) => "illegal_transition",
            Self::Cut(CutError::AlreadySummarized) => "invalid_input",
            Self::Summary(e) => e.code(),
            Self::Read(_) => "query_failed",
        }
    }
}

/// A request estimated above this share of the window is summarized first; the rest of the
/// window is left for the answer.
pub const THRESHOLD_PERCENT: u8 = 80;
/// The longest summary asked for, in tokens, however large the window.
const MAX_SUMMARY_TOKENS: u64 = 2_048;
/// Below this much room for messages, the window is too small to hold a conversation at all.
const MIN_ROOM: u64 = 256;

/// How a window is shared out, in estimated tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub window: u64,
    /// `THRESHOLD_PERCENT` of the window: a request above it is summarized first.
    pub limit: u64,
    /// The system prompt and the tools, sent with every request.
    pub fixed: u64,
    /// What the messages kept after a summary may take.
    pub keep: u64,
    /// The longest summary asked for.
    pub summary: u64,
}

impl Budget {
    /// The shares of `window` for requests that send `fixed` tokens besides their messages.
    /// After a summary a request takes at most `fixed + summary + keep`, three quarters of the
    /// room under the limit, so a few more turns fit before the next summary.
    pub fn new(window: u64, fixed: u64) -> Result<Self, SummaryError> {
        let limit = window.saturating_mul(u64::from(THRESHOLD_PERCENT)) / 100;
        let room = limit.saturating_sub(fixed);
        if room < MIN_ROOM {
            return Err(SummaryError::WindowTooSmall { window, fixed });
        }
        Ok(Self { window, limit, fixed, keep: room / 2, summary: (room / 4).min(MAX_SUMMARY_TOKENS) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_leaves_room_after_a_summary() {
        let budget = Budget::new(10_000, 2_000).unwrap();
        assert_eq!(budget.limit, 8_000);
        assert_eq!((budget.keep, budget.summary), (3_000, 1_500));
        assert!(budget.fixed + budget.keep + budget.summary < budget.limit);
        assert_eq!(Budget::new(1_000_000, 2_000).unwrap().summary, MAX_SUMMARY_TOKENS);
        assert!(
            matches!(
                Budget::new(2_000, 1_500),
                Err(SummaryError::WindowTooSmall { window: 2_000, fixed: 1_500 })
            ),
            "a window the tools and instructions nearly fill cannot hold a conversation"
        );
    }
}
