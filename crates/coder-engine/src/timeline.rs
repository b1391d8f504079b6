//! The timeline: a thread's events as a person reads them — what happened, when, and which run
//! (correlation) it belongs to. A line per event, derived from the log and never stored.

use chrono::{DateTime, Utc};
use coder_domain::{
    ApprovalGate, Approver, Attachment, CompactionTrigger, DomainEvent, EventEnvelope, StepType, ThreadId,
};
use serde::Serialize;
use uuid::Uuid;

use crate::{Engine, QueryError};

/// One event of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimelineEntry {
    /// Position in the global log; time travel shows the chat as of this number.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sequence: u64,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub event_type: &'static str,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub correlation_id: Uuid,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub causation_id: Option<Uuid>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub timestamp: DateTime<Utc>,
    /// What happened, in a few words.
    pub summary: String,
}

/// At most this many characters of text in a summary.
const SUMMARY_CHARS: usize = 80;

/// A thread's timeline, oldest first.
pub fn timeline(engine: &Engine, thread: ThreadId) -> Result<Vec<TimelineEntry>, QueryError> {
    Ok(engine.thread_events(thread)?.iter().map(entry).collect())
}

/// The timeline line of one event.
pub fn entry(envelope: &EventEnvelope) -> TimelineEntry {
    TimelineEntry {
        sequence: envelope.sequence,
        event_type: envelope.event.type_name(),
        correlation_id: envelope.correlation_id,
        causation_id: envelope.causation_id,
        timestamp: envelope.event.timestamp(),
        summary: with_reason(summary(&envelope.event), envelope),
    }
}

/// A step's line with the rule that made it wait, which its start records in its metadata.
fn with_reason(summary: String, envelope: &EventEnvelope) -> String {
    match (&envelope.event, envelope.metadata.get(coder_domain::META_REASON)) {
        (DomainEvent::RunStepStarted { .. }, Some(reason)) => {
            format!("{summary} — waits for you: {}", clip(reason))
        }
        _ => summary,
    }
}

fn summary(event: &DomainEvent) -> String {
    use DomainEvent as E;
    match event {
        E::ThreadCreated { title, .. } => format!("thread “{}” created", clip(title)),
        E::ThreadUpdated { title: Some(title), .. } => format!("renamed to “{}”", clip(title)),
        E::ThreadUpdated { archived: Some(true), .. } => "archived".into(),
        E::ThreadUpdated { archived: Some(false), .. } => "unarchived".into(),
        E::ThreadUpdated { .. } => "marked read".into(),
        E::MessageAdded { role, content, .. } => format!("{role:?}: {}", clip(content)),
        E::MessageStreaming { content, .. } => format!("streamed {} characters", content.chars().count()),
        E::MessageComplete { final_content, .. } => format!("message complete: {}", clip(final_content)),
        E::MessageDeleted { .. } => "message deleted".into(),
        E::ToolUseStarted { tool_name, .. } => format!("{tool_name} started"),
        E::ToolUseProgress { status_message, progress, .. } => {
            format!("{:.0}% {}", progress * 100.0, clip(status_message))
        }
        E::ToolUseComplete { duration_ms, .. } => format!("tool finished in {duration_ms} ms"),
        E::ToolUseFailed { error, .. } => format!("tool failed: {}", clip(error)),
        E::ToolUseCancelled { .. } => "tool cancelled".into(),
        E::RunStarted { agent_name, .. } => format!("run started by {agent_name}"),
        // What a rule decided is said with the step, so the timeline explains it.
        E::RunStepStarted {
            description,
            step_type: StepType::ToolCall { gate: ApprovalGate::PreApproved { policy }, .. },
            ..
        } => format!("step: {} — ran without asking: {}", clip(description), clip(policy)),
        E::RunStepStarted { description, .. } => format!("step: {}", clip(description)),
        E::RunStepUpdated { status, decision: Some(d), .. } => match &d.by {
            Approver::Policy { rule } => format!("step {status:?} ({:?} by {})", d.verdict, clip(rule)),
            Approver::Person => format!("step {status:?} ({:?})", d.verdict),
        },
        E::RunStepUpdated { status, .. } => format!("step {status:?}"),
        E::RunStepComplete { result, .. } => format!("step ended: {result:?}"),
        E::RunArtifactAdded { artifact_id, .. } => format!("artifact {}", clip(artifact_id)),
        E::RunFinished { status, duration_ms, .. } => format!("run {status:?} after {duration_ms} ms"),
        E::ProjectCreated { name, .. } => format!("project “{}” added", clip(name)),
        E::ProjectUpdated { .. } => "project settings changed".into(),
        E::FileChanged { path, .. } => format!("file {} changed", clip(path)),
        E::MessageAttached { attachment: Attachment::File { path, .. }, .. } => {
            format!("file {} attached", clip(path))
        }
        E::MessageAttached { attachment: Attachment::Image { name, .. }, .. } => {
            format!("image {} attached", clip(name))
        }
        E::ThreadCompacted { replaced_tokens, summary_tokens, trigger, .. } => {
            let why = match trigger {
                CompactionTrigger::Automatic { window_tokens, threshold_percent } => {
                    format!("the next call would pass {threshold_percent}% of a {window_tokens}-token window")
                }
                CompactionTrigger::Manual => "summarized by hand".into(),
            };
            format!("earlier messages summarized: {replaced_tokens} tokens → {summary_tokens} ({why})")
        }
    }
}

/// The first line of `text`, cut to `SUMMARY_CHARS` characters.
fn clip(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut clipped: String = line.chars().take(SUMMARY_CHARS).collect();
    if clipped.len() < line.len() || text.lines().nth(1).is_some() {
        clipped.push('…');
    }
    clipped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_a_rule_made_wait_names_the_rule() {
        let run_id = coder_domain::RunId::new();
        let event = DomainEvent::RunStepStarted {
            run_id,
            step_id: coder_domain::StepId::new(),
            step_type: StepType::ModelCall,
            description: "Read src/lib.rs".into(),
            timestamp: Utc::now(),
        };
        let envelope = coder_domain::NewEvent::new(event)
            .with_metadata(coder_domain::META_REASON, "rule `src/**` (global)")
            .into_envelope(1, coder_domain::StreamId::Run(run_id), 1);
        assert_eq!(entry(&envelope).summary, "step: Read src/lib.rs — waits for you: rule `src/**` (global)");
    }

    #[test]
    fn what_a_rule_decided_is_said_with_the_step() {
        let (run_id, step_id, timestamp) =
            (coder_domain::RunId::new(), coder_domain::StepId::new(), Utc::now());
        let step_type = |gate| StepType::ToolCall {
            tool_use_id: coder_domain::ToolUseId::new(),
            tool_name: "run_command".into(),
            gate,
        };
        let started = |gate| DomainEvent::RunStepStarted {
            run_id,
            step_id,
            step_type: step_type(gate),
            description: "Run `cargo test`".into(),
            timestamp,
        };
        let policy = "rule `cargo test*` (project)".to_string();
        assert_eq!(
            summary(&started(ApprovalGate::PreApproved { policy })),
            "step: Run `cargo test` — ran without asking: rule `cargo test*` (project)"
        );
        assert_eq!(summary(&started(ApprovalGate::NeedsApproval)), "step: Run `cargo test`");
        let denied = DomainEvent::RunStepUpdated {
            run_id,
            step_id,
            status: coder_domain::StepStatus::Skipped,
            progress: None,
            timestamp,
            decision: Some(coder_domain::ApprovalDecision {
                verdict: coder_domain::Verdict::Rejected,
                by: Approver::Policy { rule: "rule `rm *` (global)".into() },
                reason: None,
            }),
        };
        assert_eq!(summary(&denied), "step Skipped (Rejected by rule `rm *` (global))");
    }

    #[test]
    fn long_text_is_clipped_to_its_first_line() {
        assert_eq!(clip("short"), "short");
        assert_eq!(clip("first\nsecond"), "first…");
        assert_eq!(clip(&"x".repeat(200)).chars().count(), SUMMARY_CHARS + 1);
    }
}
