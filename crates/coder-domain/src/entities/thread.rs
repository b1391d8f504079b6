use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{MessageId, ProjectId, ThreadId};

/// A conversation thread, optionally about a project.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Thread {
    pub id: ThreadId,
    pub project_id: Option<ProjectId>,
    pub title: String,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Messages from the agent or the system since the person last read the thread.
    #[serde(default)]
    pub unread: u32,
    /// The last message the thread's newest summary stands for (`ThreadCompacted`).
    #[serde(default)]
    pub compacted_through: Option<MessageId>,
    /// When that message was written: a later summary must cover messages at least that new,
    /// even once the message itself is deleted.
    #[serde(default)]
    pub compacted_at: Option<DateTime<Utc>>,
    /// False while the thread has the default title and no message: its first message then
    /// titles it. True for a thread read from a snapshot written before this field existed.
    #[serde(default = "named_before")]
    pub named: bool,
}

/// Threads in snapshots from before `named` existed keep their titles.
fn named_before() -> bool {
    true
}

/// The title a thread gets when nobody names it; its first message then names it.
pub const DEFAULT_TITLE: &str = "New thread";

/// Words of a first message that make a thread's title.
const TITLE_WORDS: usize = 8;
/// Characters of such a title at most.
const TITLE_CHARS: usize = 60;

/// A title from the first words of `text`'s first non-empty line: at most `TITLE_WORDS` words
/// and `TITLE_CHARS` characters, with `…` when cut. `None` when the text has no words.
pub fn title_from(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut title = words.iter().take(TITLE_WORDS).copied().collect::<Vec<_>>().join(" ");
    let mut cut = words.len() > TITLE_WORDS || text.trim() != line;
    if title.chars().count() > TITLE_CHARS {
        title = title.chars().take(TITLE_CHARS).collect::<String>().trim_end().to_string();
        cut = true;
    }
    if cut {
        title.push('…');
    }
    Some(title)
}
