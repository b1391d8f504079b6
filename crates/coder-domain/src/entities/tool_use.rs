use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::TransitionError;
use crate::ids::{MessageId, RunId, ToolUseId};
use crate::values::{ToolOutput, ToolStatus};

/// One invocation of a tool: `Pending → Running → Success | Failed`, `Cancelled` from any state
/// that is not final.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ToolUse {
    pub id: ToolUseId,
    pub run_id: RunId,
    pub message_id: MessageId,
    pub tool_name: String,
    pub input: serde_json::Value,
    pub output: Option<ToolOutput>,
    pub status: ToolStatus,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    pub error: Option<String>,
}

impl ToolUse {
    /// A tool use in `Pending`, not yet running.
    pub fn new(
        id: ToolUseId,
        run_id: RunId,
        message_id: MessageId,
        tool_name: String,
        input: serde_json::Value,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            run_id,
            message_id,
            tool_name,
            input,
            output: None,
            status: ToolStatus::Pending,
            started_at: at,
            completed_at: None,
            duration_ms: None,
            error: None,
        }
    }

    fn check(&self, allowed: &[ToolStatus], to: ToolStatus) -> Result<(), TransitionError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(TransitionError::new("tool use", self.id, self.status, to))
        }
    }

    /// `Pending → Running`.
    pub fn start(&mut self, at: DateTime<Utc>) -> Result<(), TransitionError> {
        self.check(&[ToolStatus::Pending], ToolStatus::Running)?;
        self.status = ToolStatus::Running;
        self.started_at = at;
        Ok(())
    }

    /// Progress is reported only while running.
    pub fn check_progress(&self) -> Result<(), TransitionError> {
        self.check(&[ToolStatus::Running], ToolStatus::Running)
    }

    /// `Running → Success`.
    pub fn complete(
        &mut self,
        output: ToolOutput,
        duration_ms: u64,
        at: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        self.check(&[ToolStatus::Running], ToolStatus::Success)?;
        self.status = ToolStatus::Success;
        self.output = Some(output);
        self.completed_at = Some(at);
        self.duration_ms = Some(duration_ms);
        Ok(())
    }

    /// `Pending | Running → Failed`.
    pub fn fail(&mut self, error: String, at: DateTime<Utc>) -> Result<(), TransitionError> {
        self.check(&[ToolStatus::Pending, ToolStatus::Running], ToolStatus::Failed)?;
        self.status = ToolStatus::Failed;
        self.error = Some(error);
        self.finish_clock(at);
        Ok(())
    }

    /// `Pending | Running → Cancelled`.
    pub fn cancel(&mut self, at: DateTime<Utc>) -> Result<(), TransitionError> {
        self.check(&[ToolStatus::Pending, ToolStatus::Running], ToolStatus::Cancelled)?;
        self.status = ToolStatus::Cancelled;
        self.finish_clock(at);
        Ok(())
    }

    fn finish_clock(&mut self, at: DateTime<Utc>) {
        self.completed_at = Some(at);
        self.duration_ms = Some((at - self.started_at).num_milliseconds().max(0) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tool() -> ToolUse {
        ToolUse::new(
            ToolUseId::new(),
            RunId::new(),
            MessageId::new(),
            "read_file".into(),
            json!({}),
            Utc::now(),
        )
    }

    #[test]
    fn lifecycle_pending_running_success() {
        let mut t = tool();
        assert_eq!(t.status, ToolStatus::Pending);
        assert!(t.complete(ToolOutput::Empty, 1, Utc::now()).is_err(), "a pending tool cannot succeed");
        t.start(Utc::now()).unwrap();
        t.complete(ToolOutput::Text("ok".into()), 5, Utc::now()).unwrap();
        assert_eq!(t.status, ToolStatus::Success);
        assert_eq!(t.duration_ms, Some(5));
        assert!(t.complete(ToolOutput::Empty, 1, Utc::now()).is_err(), "completing a finished tool use");
        assert!(t.cancel(Utc::now()).is_err(), "a finished tool use cannot be cancelled");
        assert!(t.fail("x".into(), Utc::now()).is_err());
        assert_eq!(t.status, ToolStatus::Success);
    }

    #[test]
    fn pending_or_running_can_fail_or_cancel() {
        let mut t = tool();
        t.cancel(Utc::now()).unwrap();
        assert_eq!(t.status, ToolStatus::Cancelled);
        let mut t = tool();
        t.start(Utc::now()).unwrap();
        t.fail("boom".into(), Utc::now()).unwrap();
        assert_eq!(t.error.as_deref(), Some("boom"));
        assert!(t.start(Utc::now()).is_err());
    }
}
