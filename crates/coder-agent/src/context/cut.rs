//! Choosing where a summary ends.

use std::collections::BTreeMap;

use coder_domain::MessageId;

use super::estimate::message_tokens;
use crate::conversation::{summary_message, History, Placed};

/// The last message a new summary stands for, and what it takes out of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    pub through: MessageId,
    pub position: usize,
    /// Tokens of what the new summary replaces: the previous summary and the messages up to
    /// `through` after it.
    pub replaced_tokens: u64,
    /// Tokens of the messages kept after `through`.
    pub kept_tokens: u64,
}

/// Why a summary cannot end at the message a person chose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CutError {
    #[error("that message is not in this thread")]
    NotFound,
    #[error("that message is still being written or its tool calls are still running")]
    Unsettled,
    #[error("the thread is already summarized past that message")]
    AlreadySummarized,
}

/// Where to cut so that the messages after the cut take at most `keep` tokens while as little
/// as possible is summarized: the oldest settled message after the thread's current summary
/// with at most `keep` tokens after it. A message is settled when it is complete and all its
/// tool calls have their results, so a call and its result are never parted. When no message
/// leaves so little, the newest settled message: as much as can be summarized. `None` when no
/// message after the current summary is settled.
pub fn choose(history: &History, keep: u64) -> Option<Cut> {
    let tokens = Tokens::of(history);
    let mut newest = None;
    for message in history.messages().iter().filter(|m| m.settled && tokens.after_summary(m)) {
        let candidate = tokens.cut(message);
        if candidate.kept_tokens <= keep {
            return Some(candidate);
        }
        newest = Some(candidate);
    }
    newest
}

/// The cut at a message a person chose.
pub fn at(history: &History, through: MessageId) -> Result<Cut, CutError> {
    let tokens = Tokens::of(history);
    let message = history.messages().iter().find(|m| m.id == through).ok_or(CutError::NotFound)?;
    if !tokens.after_summary(message) {
        return Err(CutError::AlreadySummarized);
    }
    if !message.settled {
        return Err(CutError::Unsettled);
    }
    Ok(tokens.cut(message))
}

/// The tokens of the messages after the current summary, by the position of their owner.
struct Tokens {
    after: Option<usize>,
    by_owner: BTreeMap<usize, u64>,
    total: u64,
    previous: u64,
}

impl Tokens {
    fn of(history: &History) -> Self {
        let after = history.summary().map(|s| s.position);
        let mut by_owner: BTreeMap<usize, u64> = BTreeMap::new();
        for item in history.items() {
            if after.is_none_or(|a| item.owner > a) {
                *by_owner.entry(item.owner).or_default() += message_tokens(&item.message);
            }
        }
        let total = by_owner.values().sum();
        let previous = history.summary().map_or(0, |s| message_tokens(&summary_message(&s.text)));
        Self { after, by_owner, total, previous }
    }

    fn after_summary(&self, message: &Placed) -> bool {
        self.after.is_none_or(|a| message.position > a)
    }

    fn cut(&self, message: &Placed) -> Cut {
        let kept_tokens: u64 = self.by_owner.range(message.position + 1..).map(|(_, t)| *t).sum();
        Cut {
            through: message.id,
            position: message.position,
            replaced_tokens: self.previous + self.total - kept_tokens,
            kept_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::script::{assert_paired, Script};

    /// Forty turns of about 300 tokens each.
    fn long_thread() -> Script {
        let mut s = Script::new();
        for i in 0..40 {
            s.turn(i, &"x".repeat(1000));
        }
        s
    }

    #[test]
    fn the_cut_keeps_what_fits_and_summarizes_as_little_as_it_can() {
        let s = long_thread();
        let history = History::from_events(&s.events);
        let cut = choose(&history, 2_000).expect("a cut");
        assert!(cut.kept_tokens <= 2_000, "{cut:?}");
        let placed = history.messages();
        let at = placed.iter().position(|m| m.id == cut.through).unwrap();
        let before = choose_at(&history, placed[at - 1].id);
        assert!(before.kept_tokens > 2_000, "the message before the cut would keep too much: {before:?}");
        let total: u64 = history.items().iter().map(|i| message_tokens(&i.message)).sum();
        assert_eq!(cut.replaced_tokens + cut.kept_tokens, total);
    }

    fn choose_at(history: &History, through: MessageId) -> Cut {
        at(history, through).unwrap()
    }

    #[test]
    fn a_cut_never_parts_a_call_from_its_result() {
        let mut s = long_thread();
        s.user("last question");
        let reading = s.assistant("reading");
        let running = s.call(reading, "big.rs");
        let history = History::from_events(&s.events);
        // Nothing fits in 1 token: as much as possible is summarized, which stops before the
        // message whose call still runs.
        let cut = choose(&history, 1).expect("a cut");
        assert_ne!(cut.through, reading);
        assert_eq!(at(&history, reading), Err(CutError::Unsettled));
        s.result(running, "text");
        let history = History::from_events(&s.events);
        for keep in [1, 100, 500, 1_000, 3_000, 6_000] {
            let cut = choose(&history, keep).unwrap();
            let mut with = Script { events: s.events.clone(), ..Script::new() };
            with.compacted(cut.through, "summary");
            assert_paired(&History::from_events(&with.events).conversation());
        }
        assert_eq!(choose(&history, 1).unwrap().through, reading, "once settled, it may be the cut");
    }

    #[test]
    fn a_later_cut_starts_after_the_summary_and_replaces_it() {
        let mut s = long_thread();
        let history = History::from_events(&s.events);
        let first = choose(&history, 4_000).unwrap();
        s.compacted(first.through, &"summary ".repeat(50));
        let history = History::from_events(&s.events);
        assert_eq!(at(&history, first.through), Err(CutError::AlreadySummarized));
        for i in 40..60 {
            s.turn(i, &"y".repeat(1000));
        }
        let history = History::from_events(&s.events);
        let second = choose(&history, 4_000).unwrap();
        assert!(second.position > first.position);
        let summary = message_tokens(&summary_message(&"summary ".repeat(50)));
        let after_first: u64 = history
            .items()
            .iter()
            .filter(|i| i.owner > first.position)
            .map(|i| message_tokens(&i.message))
            .sum();
        assert_eq!(
            second.replaced_tokens + second.kept_tokens,
            summary + after_first,
            "the old summary is replaced too"
        );
        assert_eq!(at(&history, MessageId::new()), Err(CutError::NotFound));
    }

    #[test]
    fn nothing_settled_after_the_summary_is_no_cut() {
        let mut s = Script::new();
        let (_, answer) = s.turn(0, "x");
        s.compacted(answer, "summary");
        s.streaming();
        assert_eq!(choose(&History::from_events(&s.events), 1), None);
    }
}
