//! `ThreadSummary` and `ThreadList`: the sidebar's threads, newest activity first.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::summary::truncate;
use super::{EventProjection, Projection};
use crate::envelope::EventEnvelope;
use crate::events::DomainEvent;
use crate::ids::{ProjectId, ThreadId};
use crate::values::Role;

/// Characters of the last message shown under a thread's title.
const PREVIEW_CHARS: usize = 100;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub title: String,
    pub last_message_preview: String,
    pub last_updated: DateTime<Utc>,
    pub message_count: usize,
    /// Messages from the agent or the system since the person last read the thread.
    pub unread_count: usize,
    pub archived: bool,
    pub project_id: Option<ProjectId>,
}

impl ThreadSummary {
    /// A summary as `ThreadCreated` makes it.
    pub fn new(id: ThreadId, title: String, project_id: Option<ProjectId>, at: DateTime<Utc>) -> Self {
        Self {
            id,
            title,
            last_message_preview: String::new(),
            last_updated: at,
            message_count: 0,
            unread_count: 0,
            archived: false,
            project_id,
        }
    }

    /// Folds in one event of this thread; returns whether the summary changed.
    pub fn apply(&mut self, event: &DomainEvent) -> bool {
        if event.thread_id() != Some(self.id) {
            return false;
        }
        match event {
            DomainEvent::MessageAdded { content, role, timestamp, .. } => {
                if !content.is_empty() {
                    self.last_message_preview = truncate(content, PREVIEW_CHARS);
                }
                self.last_updated = *timestamp;
                self.message_count += 1;
                if *role != Role::User {
                    self.unread_count += 1;
                }
                true
            }
            DomainEvent::MessageComplete { final_content, timestamp, .. } => {
                self.last_message_preview = truncate(final_content, PREVIEW_CHARS);
                self.last_updated = *timestamp;
                true
            }
            DomainEvent::MessageDeleted { .. } => {
                self.message_count = self.message_count.saturating_sub(1);
                true
            }
            DomainEvent::ThreadUpdated { title, archived, timestamp, marked_read, .. } => {
                if let Some(new_title) = title {
                    new_title.clone_into(&mut self.title);
                }
                if let Some(new_archived) = archived {
                    self.archived = *new_archived;
                }
                if *marked_read {
                    self.unread_count = 0;
                }
                // Reading a thread is not activity: it must not move the thread to the top.
                if title.is_some() || archived.is_some() {
                    self.last_updated = *timestamp;
                }
                true
            }
            _ => false,
        }
    }

    /// Case-insensitive match of `needle` (already lower-case) in the title or preview.
    fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || self.title.to_lowercase().contains(needle)
            || self.last_message_preview.to_lowercase().contains(needle)
    }
}

/// Which threads a listing shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadFilter {
    /// Show archived threads instead of active ones.
    #[serde(default)]
    pub archived: bool,
    /// Only threads of this project.
    #[serde(default)]
    pub project_id: Option<ProjectId>,
    /// Only threads whose title or preview contains this text, ignoring case.
    #[serde(default)]
    pub query: Option<String>,
}

/// All threads' summaries, kept ordered by last update.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(from = "ThreadListData")]
pub struct ThreadList {
    summaries: HashMap<ThreadId, ThreadSummary>,
    /// (last update, id) of every thread; iterated in reverse for newest first.
    #[serde(skip)]
    order: BTreeSet<(DateTime<Utc>, ThreadId)>,
}

#[derive(Deserialize)]
struct ThreadListData {
    summaries: HashMap<ThreadId, ThreadSummary>,
}

impl From<ThreadListData> for ThreadList {
    fn from(d: ThreadListData) -> Self {
        let order = d.summaries.values().map(|s| (s.last_updated, s.id)).collect();
        Self { summaries: d.summaries, order }
    }
}

impl ThreadList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds one event in; returns the thread whose summary changed, if any.
    pub fn apply(&mut self, event: &DomainEvent) -> Option<ThreadId> {
        if let DomainEvent::ThreadCreated { thread_id, title, timestamp, project_id } = event {
            if self.summaries.contains_key(thread_id) {
                return None;
            }
            let summary = ThreadSummary::new(*thread_id, title.clone(), *project_id, *timestamp);
            self.order.insert((summary.last_updated, summary.id));
            self.summaries.insert(*thread_id, summary);
            return Some(*thread_id);
        }
        let thread_id = event.thread_id()?;
        let summary = self.summaries.get_mut(&thread_id)?;
        let before = summary.last_updated;
        if !summary.apply(event) {
            return None;
        }
        if summary.last_updated != before {
            self.order.remove(&(before, thread_id));
            self.order.insert((summary.last_updated, thread_id));
        }
        Some(thread_id)
    }

    pub fn get(&self, id: ThreadId) -> Option<&ThreadSummary> {
        self.summaries.get(&id)
    }

    pub fn len(&self) -> usize {
        self.summaries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.summaries.is_empty()
    }

    /// The threads the filter selects, most recently updated first.
    pub fn list(&self, filter: &ThreadFilter) -> Vec<&ThreadSummary> {
        let needle = filter.query.as_deref().map(str::trim).unwrap_or("").to_lowercase();
        self.order
            .iter()
            .rev()
            .filter_map(|(_, id)| self.summaries.get(id))
            .filter(|s| s.archived == filter.archived)
            .filter(|s| filter.project_id.is_none() || s.project_id == filter.project_id)
            .filter(|s| s.matches(&needle))
            .collect()
    }

    /// Active and archived threads whose title or preview contains `query`, newest first.
    pub fn search(&self, query: &str) -> Vec<&ThreadSummary> {
        let needle = query.trim().to_lowercase();
        self.order
            .iter()
            .rev()
            .filter_map(|(_, id)| self.summaries.get(id))
            .filter(|s| s.matches(&needle))
            .collect()
    }
}

impl Projection for ThreadList {
    const NAME: &'static str = "thread_list";
    const VERSION: u32 = 1;

    fn apply_envelope(&mut self, envelope: &EventEnvelope) {
        self.apply(&envelope.event);
    }
}

impl EventProjection for ThreadList {
    fn apply_event(&mut self, event: &DomainEvent) {
        self.apply(event);
    }
}
