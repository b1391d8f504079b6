//! What a run reports: the figures (each with its goal), raw numbers, and a note per missed goal.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// The result of one run. `figures` holds exactly the keys of [`FIGURES`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BenchReport {
    pub figures: BTreeMap<String, f64>,
    /// Raw numbers behind the figures (latencies, throughputs, sizes), named with their unit.
    pub details: BTreeMap<String, f64>,
    /// One note per missed goal, with the reading of why; and remarks on the conditions.
    pub notes: Vec<String>,
}

/// Where a figure should be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    pub fn is_met(self, value: f64) -> bool {
        match self {
            Self::AtMost(limit) => value <= limit,
            Self::AtLeast(limit) => value >= limit,
        }
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AtMost(limit) => write!(f, "≤ {limit}"),
            Self::AtLeast(limit) => write!(f, "≥ {limit}"),
        }
    }
}

/// One figure of the report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub key: &'static str,
    pub goal: Option<Goal>,
    pub meaning: &'static str,
}

/// Every figure a run reports, in the order a table shows them.
pub const FIGURES: [Figure; 9] = [
    Figure {
        key: "append_p50_vs_fsync",
        goal: Some(Goal::AtMost(1.3)),
        meaning: "p50 of one durable append ÷ p50 of a raw write + fsync",
    },
    Figure {
        key: "concurrent_vs_sqlite",
        goal: Some(Goal::AtLeast(10.0)),
        meaning: "events/s of 16 producers awaiting each ack, Coder ÷ SQLite",
    },
    Figure {
        key: "replay_vs_sqlite",
        goal: Some(Goal::AtLeast(2.0)),
        meaning: "events/s of a full replay into chat views + thread list, Coder ÷ SQLite",
    },
    Figure {
        key: "open_thread_ms",
        goal: Some(Goal::AtMost(20.0)),
        meaning: "ms to open a 100,000-message thread (snapshot + tail)",
    },
    Figure {
        key: "open_vs_replay",
        goal: Some(Goal::AtLeast(20.0)),
        meaning: "full replay of that thread ÷ opening it",
    },
    Figure {
        key: "cold_start_ms",
        goal: None,
        meaning: "ms from process start to the thread list, 1,000,000 events / 1,000 threads",
    },
    Figure { key: "cold_start_rss_mb", goal: None, meaning: "peak RSS of that cold start, MiB" },
    Figure {
        key: "bytes_per_event_vs_sqlite",
        goal: Some(Goal::AtMost(1.0)),
        meaning: "store bytes per event, Coder ÷ SQLite",
    },
    Figure {
        key: "stream_bytes_vs_text",
        goal: Some(Goal::AtMost(1.2)),
        meaning: "stored bytes of one streamed 10,000-token message ÷ (its text + 2 KiB)",
    },
];

impl BenchReport {
    /// Records a figure; when it misses its goal, notes it with `reading` (why, as measured).
    pub(crate) fn figure(&mut self, key: &'static str, value: f64, reading: impl FnOnce() -> String) {
        let figure =
            FIGURES.iter().find(|f| f.key == key).expect("figures are recorded under their FIGURES key");
        if let Some(goal) = figure.goal {
            if !goal.is_met(value) {
                self.notes.push(format!("{key} = {value:.3} misses its goal {goal}: {}", reading()));
            }
        }
        self.figures.insert(key.to_string(), value);
    }

    pub(crate) fn detail(&mut self, key: &str, value: f64) {
        self.details.insert(key.to_string(), value);
    }

    pub(crate) fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missed_goal_is_noted_with_its_reading() {
        let mut report = BenchReport::default();
        report.figure("append_p50_vs_fsync", 1.1, || unreachable!("a met goal needs no reading"));
        report.figure("replay_vs_sqlite", 1.5, || "decoding dominates".into());
        assert_eq!(report.figures.len(), 2);
        assert_eq!(report.notes.len(), 1, "only the missed goal is noted");
        assert!(report.notes[0].contains("≥ 2") && report.notes[0].contains("decoding dominates"));
    }
}
