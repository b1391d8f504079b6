//! A run's plan: the short todo list the model keeps with the `update_plan` tool.
//!
//! The plan is not an event of its own. It is the input of an `update_plan` tool use, which the
//! log already records (`ToolUseStarted`); the run's plan is the input of its latest completed
//! `update_plan` call (see `RunView`). That input is written by the model, so it is untrusted:
//! [`Plan::from_input`] checks its shape and bounds before anything is kept, and the tool uses
//! the same check, so the model is told exactly what the run panel would refuse.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The name of the tool whose completed calls set a run's plan.
pub const UPDATE_PLAN: &str = "update_plan";
/// Most items in a plan.
pub const PLAN_ITEMS: usize = 20;
/// Most characters of an item's title.
pub const PLAN_TITLE_CHARS: usize = 200;
/// Most characters of the plan's note.
pub const PLAN_NOTE_CHARS: usize = 1000;

/// Where a plan item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Pending,
    InProgress,
    Done,
}

impl PlanStatus {
    /// The word the model writes for this status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InProgress => "in_progress",
            Self::Done => "done",
        }
    }

    fn parse(word: &str) -> Option<Self> {
        [Self::Pending, Self::InProgress, Self::Done].into_iter().find(|s| s.as_str() == word)
    }
}

/// One item of a plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanItem {
    /// Trimmed, not empty, at most `PLAN_TITLE_CHARS` characters.
    pub title: String,
    pub status: PlanStatus,
}

/// A whole plan. Invariants (held by `from_input`): 1..=`PLAN_ITEMS` items, at most one of them
/// in progress, the note at most `PLAN_NOTE_CHARS` characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Plan {
    pub items: Vec<PlanItem>,
    /// What the model said about the plan or its change, trimmed; `None` when it said nothing.
    #[serde(default)]
    pub note: Option<String>,
}

/// Why an `update_plan` input is not a plan. Item numbers count from 1, as a person reads them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    #[error("the input must be an object with `items` and an optional `note`")]
    NotAnObject,
    #[error("unknown field `{0}`: the input has `items` and an optional `note`")]
    UnknownField(String),
    #[error("`items` is missing: give the whole list, each item with a `title` and a `status`")]
    MissingItems,
    #[error("`items` must be a list of objects with a `title` and a `status`")]
    ItemsNotAList,
    #[error("the plan needs at least one item")]
    NoItems,
    #[error("the plan has {count} items, more than {PLAN_ITEMS}; merge small steps into larger ones")]
    TooManyItems { count: usize },
    #[error("item {number} must be an object with a `title` and a `status`")]
    ItemNotAnObject { number: usize },
    #[error("item {number} has an unknown field `{field}`: an item has a `title` and a `status`")]
    ItemUnknownField { number: usize, field: String },
    #[error("item {number} needs a `title` that is text")]
    MissingTitle { number: usize },
    #[error("item {number} has an empty title")]
    EmptyTitle { number: usize },
    #[error("item {number}'s title is {chars} characters, more than {PLAN_TITLE_CHARS}; keep titles short")]
    TitleTooLong { number: usize, chars: usize },
    #[error("item {number} needs a `status`: \"pending\", \"in_progress\" or \"done\"")]
    MissingStatus { number: usize },
    #[error("item {number} has the status {found}; use \"pending\", \"in_progress\" or \"done\"")]
    UnknownStatus { number: usize, found: String },
    #[error("items {first} and {second} are both in progress; at most one item is in progress at a time")]
    SeveralInProgress { first: usize, second: usize },
    #[error("`note` must be text")]
    NoteNotText,
    #[error("the note is {chars} characters, more than {PLAN_NOTE_CHARS}")]
    NoteTooLong { chars: usize },
}

impl Plan {
    /// The plan an `update_plan` input describes:
    /// `{"items": [{"title": …, "status": "pending" | "in_progress" | "done"}], "note"?: …}`.
    /// Checks sizes before copying anything, so an oversized input costs no more than its
    /// first `PLAN_ITEMS` items' titles.
    pub fn from_input(input: &Value) -> Result<Self, PlanError> {
        let object = input.as_object().ok_or(PlanError::NotAnObject)?;
        if let Some(field) = object.keys().find(|k| *k != "items" && *k != "note") {
            return Err(PlanError::UnknownField(preview(field)));
        }
        let items = object.get("items").ok_or(PlanError::MissingItems)?;
        let items = items.as_array().ok_or(PlanError::ItemsNotAList)?;
        if items.is_empty() {
            return Err(PlanError::NoItems);
        }
        if items.len() > PLAN_ITEMS {
            return Err(PlanError::TooManyItems { count: items.len() });
        }
        let items = items
            .iter()
            .enumerate()
            .map(|(i, item)| parse_item(i + 1, item))
            .collect::<Result<Vec<_>, _>>()?;
        let mut in_progress =
            items.iter().enumerate().filter(|(_, item)| item.status == PlanStatus::InProgress);
        if let (Some((first, _)), Some((second, _))) = (in_progress.next(), in_progress.next()) {
            return Err(PlanError::SeveralInProgress { first: first + 1, second: second + 1 });
        }
        let note = match object.get("note") {
            None | Some(Value::Null) => None,
            Some(Value::String(note)) => {
                let note = note.trim();
                let chars = note.chars().count();
                if chars > PLAN_NOTE_CHARS {
                    return Err(PlanError::NoteTooLong { chars });
                }
                (!note.is_empty()).then(|| note.to_owned())
            }
            Some(_) => return Err(PlanError::NoteNotText),
        };
        Ok(Self { items, note })
    }

    /// The index of the item in progress, if one is.
    pub fn in_progress(&self) -> Option<usize> {
        self.items.iter().position(|item| item.status == PlanStatus::InProgress)
    }

    /// How many items are done.
    pub fn done(&self) -> usize {
        self.items.iter().filter(|item| item.status == PlanStatus::Done).count()
    }
}

fn parse_item(number: usize, item: &Value) -> Result<PlanItem, PlanError> {
    let object = item.as_object().ok_or(PlanError::ItemNotAnObject { number })?;
    if let Some(field) = object.keys().find(|k| *k != "title" && *k != "status") {
        return Err(PlanError::ItemUnknownField { number, field: preview(field) });
    }
    let title = object.get("title").and_then(Value::as_str).ok_or(PlanError::MissingTitle { number })?;
    let title = title.trim();
    if title.is_empty() {
        return Err(PlanError::EmptyTitle { number });
    }
    let chars = title.chars().count();
    if chars > PLAN_TITLE_CHARS {
        return Err(PlanError::TitleTooLong { number, chars });
    }
    let status = match object.get("status") {
        None | Some(Value::Null) => return Err(PlanError::MissingStatus { number }),
        Some(Value::String(word)) => {
            PlanStatus::parse(word).ok_or_else(|| PlanError::UnknownStatus { number, found: quoted(word) })?
        }
        Some(other) => return Err(PlanError::UnknownStatus { number, found: preview(&other.to_string()) }),
    };
    Ok(PlanItem { title: title.to_owned(), status })
}

/// Model-made text quoted in an error, cut so that an error stays short.
fn quoted(text: &str) -> String {
    format!("\"{}\"", preview(text))
}

fn preview(text: &str) -> String {
    super::truncate(text, 40)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn item(title: &str, status: &str) -> Value {
        json!({"title": title, "status": status})
    }

    #[test]
    fn a_valid_input_becomes_a_plan_with_trimmed_text() {
        let plan = Plan::from_input(&json!({
            "items": [item("  Read the code ", "done"), item("Fix the bug", "in_progress"), item("Test", "pending")],
            "note": "  found the cause  "
        }))
        .unwrap();
        assert_eq!(plan.items[0], PlanItem { title: "Read the code".into(), status: PlanStatus::Done });
        assert_eq!(plan.note.as_deref(), Some("found the cause"));
        assert_eq!((plan.in_progress(), plan.done()), (Some(1), 1));
        let without_note = Plan::from_input(&json!({"items": [item("a", "pending")], "note": null})).unwrap();
        assert_eq!((without_note.in_progress(), without_note.note), (None, None));
    }

    #[test]
    fn each_malformed_input_gets_its_own_error() {
        let cases = [
            (json!([1]), PlanError::NotAnObject),
            (json!({"items": [], "extra": 1}), PlanError::UnknownField("extra".into())),
            (json!({}), PlanError::MissingItems),
            (json!({"items": "a"}), PlanError::ItemsNotAList),
            (json!({"items": []}), PlanError::NoItems),
            (json!({"items": [3]}), PlanError::ItemNotAnObject { number: 1 }),
            (
                json!({"items": [item("a", "done"), {"title": "b", "status": "done", "x": 1}]}),
                PlanError::ItemUnknownField { number: 2, field: "x".into() },
            ),
            (json!({"items": [{"status": "done"}]}), PlanError::MissingTitle { number: 1 }),
            (json!({"items": [item(" \n", "done")]}), PlanError::EmptyTitle { number: 1 }),
            (json!({"items": [{"title": "a"}]}), PlanError::MissingStatus { number: 1 }),
            (
                json!({"items": [item("a", "started")]}),
                PlanError::UnknownStatus { number: 1, found: "\"started\"".into() },
            ),
            (
                json!({"items": [{"title": "a", "status": 2}]}),
                PlanError::UnknownStatus { number: 1, found: "2".into() },
            ),
            (
                json!({"items": [item("a", "in_progress"), item("b", "done"), item("c", "in_progress")]}),
                PlanError::SeveralInProgress { first: 1, second: 3 },
            ),
            (json!({"items": [item("a", "done")], "note": 5}), PlanError::NoteNotText),
        ];
        for (input, expected) in cases {
            assert_eq!(Plan::from_input(&input), Err(expected), "{input}");
        }
    }

    #[test]
    fn sizes_are_bounded() {
        let many: Vec<Value> = (0..=PLAN_ITEMS).map(|i| item(&format!("step {i}"), "pending")).collect();
        assert_eq!(
            Plan::from_input(&json!({ "items": many })),
            Err(PlanError::TooManyItems { count: PLAN_ITEMS + 1 })
        );
        assert!(
            Plan::from_input(&json!({ "items": &many[..PLAN_ITEMS] })).is_ok(),
            "exactly the limit is fine"
        );
        let long = "é".repeat(PLAN_TITLE_CHARS + 1);
        assert_eq!(
            Plan::from_input(&json!({"items": [item(&long, "done")]})),
            Err(PlanError::TitleTooLong { number: 1, chars: PLAN_TITLE_CHARS + 1 })
        );
        let fits = "é".repeat(PLAN_TITLE_CHARS);
        assert!(
            Plan::from_input(&json!({"items": [item(&fits, "done")]})).is_ok(),
            "the limit counts characters"
        );
        let note = "n".repeat(PLAN_NOTE_CHARS + 1);
        assert_eq!(
            Plan::from_input(&json!({"items": [item("a", "done")], "note": note})),
            Err(PlanError::NoteTooLong { chars: PLAN_NOTE_CHARS + 1 })
        );
        let odd = "k".repeat(10_000);
        let Err(PlanError::UnknownField(field)) = Plan::from_input(&json!({ odd: 1 })) else { panic!() };
        assert!(field.chars().count() <= 40, "model-made text in an error is cut: {field}");
    }

    #[test]
    fn statuses_read_and_write_the_words_the_model_uses() {
        for status in [PlanStatus::Pending, PlanStatus::InProgress, PlanStatus::Done] {
            assert_eq!(serde_json::to_value(status).unwrap(), json!(status.as_str()));
            assert_eq!(PlanStatus::parse(status.as_str()), Some(status));
        }
    }
}
