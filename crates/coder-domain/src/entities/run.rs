use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::TransitionError;
use crate::ids::{RunId, StepId, ThreadId, ToolUseId};
use crate::values::{ApprovalDecision, Cost, RunStatus, StepResult, StepStatus, StepType, Verdict};

/// One execution of an agent:
/// `Queued → Running ⇄ WaitingForApproval → Success | Failed | Cancelled`.
/// The run waits while any of its steps waits for approval.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(from = "RunData")]
pub struct Run {
    pub id: RunId,
    pub thread_id: ThreadId,
    pub agent_name: String,
    pub steps: Vec<StepRun>,
    pub status: RunStatus,
    pub cost: Cost,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    pub duration_ms: Option<u64>,
    /// Step id → position in `steps`; rebuilt on deserialization. Steps are never removed.
    #[serde(skip)]
    step_index: HashMap<StepId, usize>,
    /// Tool use → position of the tool-call step that carries it; rebuilt on deserialization.
    #[serde(skip)]
    tool_index: HashMap<ToolUseId, usize>,
    /// How many steps wait for approval; the run waits while this is not zero.
    #[serde(skip)]
    waiting: usize,
}

/// `Run` as stored, without its derived indexes.
#[derive(Deserialize)]
struct RunData {
    id: RunId,
    thread_id: ThreadId,
    agent_name: String,
    steps: Vec<StepRun>,
    status: RunStatus,
    cost: Cost,
    started_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
    duration_ms: Option<u64>,
}

impl From<RunData> for Run {
    fn from(d: RunData) -> Self {
        let step_index = d.steps.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let tool_index =
            d.steps.iter().enumerate().filter_map(|(i, s)| Some((s.tool_use_id()?, i))).collect();
        let waiting = d.steps.iter().filter(|s| s.awaiting_approval()).count();
        Self {
            id: d.id,
            thread_id: d.thread_id,
            agent_name: d.agent_name,
            steps: d.steps,
            status: d.status,
            cost: d.cost,
            started_at: d.started_at,
            completed_at: d.completed_at,
            duration_ms: d.duration_ms,
            step_index,
            tool_index,
            waiting,
        }
    }
}

/// One step of a run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepRun {
    pub id: StepId,
    pub step_type: StepType,
    pub description: String,
    pub status: StepStatus,
    /// 0.0–1.0
    pub progress: f32,
    pub result: Option<StepResult>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// The approval or rejection, for a step that needed one.
    #[serde(default)]
    pub decision: Option<ApprovalDecision>,
    /// What the step cost (model calls).
    #[serde(default)]
    pub cost: Option<Cost>,
}

impl StepRun {
    /// A step as it starts: `Pending` when it waits for approval, else `Running`.
    pub fn new(id: StepId, step_type: StepType, description: String, at: DateTime<Utc>) -> Self {
        let status = if step_type.needs_approval() { StepStatus::Pending } else { StepStatus::Running };
        Self {
            id,
            step_type,
            description,
            status,
            progress: 0.0,
            result: None,
            started_at: at,
            completed_at: None,
            decision: None,
            cost: None,
        }
    }

    /// The tool use a tool-call step carries.
    pub fn tool_use_id(&self) -> Option<ToolUseId> {
        match &self.step_type {
            StepType::ToolCall { tool_use_id, .. } => Some(*tool_use_id),
            StepType::ModelCall => None,
        }
    }

    /// True while the step needs a decision that nobody has made yet.
    pub fn awaiting_approval(&self) -> bool {
        self.step_type.needs_approval() && self.decision.is_none() && self.status == StepStatus::Pending
    }
}

impl Run {
    /// A run as it starts: `Queued` until its first step.
    pub fn new(id: RunId, thread_id: ThreadId, agent_name: String, at: DateTime<Utc>) -> Self {
        Self {
            id,
            thread_id,
            agent_name,
            steps: Vec::new(),
            status: RunStatus::Queued,
            cost: Cost::default(),
            started_at: at,
            completed_at: None,
            duration_ms: None,
            step_index: HashMap::new(),
            tool_index: HashMap::new(),
            waiting: 0,
        }
    }

    /// The step with this id.
    pub fn step(&self, step_id: StepId) -> Option<&StepRun> {
        self.step_index.get(&step_id).map(|&i| &self.steps[i])
    }

    /// The tool-call step that carries this tool use.
    pub fn step_for_tool(&self, tool_use_id: ToolUseId) -> Option<&StepRun> {
        self.tool_index.get(&tool_use_id).map(|&i| &self.steps[i])
    }

    /// Changes one step, keeping the count of waiting steps and the run's status in line.
    fn change_step(&mut self, step_id: StepId, change: impl FnOnce(&mut StepRun)) {
        let Some(&i) = self.step_index.get(&step_id) else { return };
        let step = &mut self.steps[i];
        let was_waiting = step.awaiting_approval();
        change(step);
        let is_waiting = step.awaiting_approval();
        match (was_waiting, is_waiting) {
            (true, false) => self.waiting -= 1,
            (false, true) => self.waiting += 1,
            _ => {}
        }
        self.settle();
    }

    fn illegal(&self, to: impl std::fmt::Debug) -> TransitionError {
        TransitionError::new("run", self.id, self.status, to)
    }

    fn step_illegal(step: &StepRun, to: impl std::fmt::Debug) -> TransitionError {
        TransitionError::new("step", step.id, step.status, to)
    }

    fn missing_step(&self, step_id: StepId) -> TransitionError {
        TransitionError::new("step", step_id, "unknown", "updated")
    }

    /// Re-derives `Running` / `WaitingForApproval` from the steps.
    fn settle(&mut self) {
        if self.status.is_final() {
            return;
        }
        self.status = if self.waiting > 0 { RunStatus::WaitingForApproval } else { RunStatus::Running };
    }

    /// Adds a step; the run leaves `Queued`, and waits if the step needs approval.
    pub fn start_step(&mut self, step: StepRun) -> Result<(), TransitionError> {
        if self.status.is_final() {
            return Err(self.illegal("new step"));
        }
        if self.step(step.id).is_some() {
            return Err(TransitionError::new("step", step.id, "started", "started"));
        }
        self.step_index.insert(step.id, self.steps.len());
        if let Some(tool) = step.tool_use_id() {
            self.tool_index.insert(tool, self.steps.len());
        }
        if step.awaiting_approval() {
            self.waiting += 1;
        }
        self.steps.push(step);
        self.settle();
        Ok(())
    }

    /// Reports status or progress of a step. `Pending → Running` is allowed only for a step that
    /// needs no approval or has been approved; final statuses go through `complete_step`.
    pub fn update_step(
        &mut self,
        step_id: StepId,
        status: StepStatus,
        progress: Option<f32>,
    ) -> Result<(), TransitionError> {
        if self.status.is_final() {
            return Err(self.illegal("step update"));
        }
        let step = self.step(step_id).ok_or_else(|| self.missing_step(step_id))?;
        let allowed = match (step.status, status) {
            (StepStatus::Pending, StepStatus::Pending) => true,
            (StepStatus::Pending, StepStatus::Running) => !step.awaiting_approval(),
            (StepStatus::Running, StepStatus::Running) => true,
            (StepStatus::Pending | StepStatus::Running, StepStatus::Skipped) => true,
            _ => false,
        };
        if !allowed {
            return Err(Self::step_illegal(step, status));
        }
        self.change_step(step_id, |step| {
            step.status = status;
            if let Some(p) = progress {
                step.progress = p.clamp(0.0, 1.0);
            }
        });
        Ok(())
    }

    /// Records an approval (the step runs) or a rejection (the step is skipped).
    pub fn decide_step(
        &mut self,
        step_id: StepId,
        decision: ApprovalDecision,
    ) -> Result<(), TransitionError> {
        let step = self.step(step_id).ok_or_else(|| self.missing_step(step_id))?;
        if !step.awaiting_approval() || self.status.is_final() {
            return Err(Self::step_illegal(step, decision.verdict));
        }
        self.change_step(step_id, |step| {
            step.status = match decision.verdict {
                Verdict::Approved => StepStatus::Running,
                Verdict::Rejected => StepStatus::Skipped,
            };
            step.decision = Some(decision);
        });
        Ok(())
    }

    /// Ends a step that is not final yet. A success needs a running step.
    pub fn complete_step(
        &mut self,
        step_id: StepId,
        result: StepResult,
        cost: Option<Cost>,
        at: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        if self.status.is_final() {
            return Err(self.illegal("step completion"));
        }
        let step = self.step(step_id).ok_or_else(|| self.missing_step(step_id))?;
        let to = result.status();
        let allowed = match step.status {
            StepStatus::Running => true,
            StepStatus::Pending => to != StepStatus::Success,
            _ => false,
        };
        if !allowed {
            return Err(Self::step_illegal(step, to));
        }
        self.change_step(step_id, |step| {
            step.status = to;
            if to == StepStatus::Success {
                step.progress = 1.0;
            }
            step.result = Some(result);
            step.completed_at = Some(at);
            step.cost = cost;
        });
        if let Some(cost) = cost {
            self.cost = self.cost.plus(cost);
        }
        Ok(())
    }

    /// Ends the run. Success is refused while a step still waits for approval.
    pub fn finish(
        &mut self,
        status: RunStatus,
        cost: Cost,
        duration_ms: u64,
        at: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        let allowed = status.is_final()
            && !self.status.is_final()
            && !(status == RunStatus::Success && self.status == RunStatus::WaitingForApproval);
        if !allowed {
            return Err(self.illegal(status));
        }
        self.status = status;
        self.cost = cost;
        self.duration_ms = Some(duration_ms);
        self.completed_at = Some(at);
        Ok(())
    }

    /// The steps that wait for a person's decision, in the order they started: each needs
    /// approval, has none yet and has not ended (`StepRun::awaiting_approval`).
    pub fn waiting_steps(&self) -> impl Iterator<Item = &StepRun> {
        self.steps.iter().filter(|s| s.awaiting_approval())
    }

    /// True while a step waits for a person's decision.
    pub fn is_waiting(&self) -> bool {
        self.waiting > 0
    }

    /// The sum of the costs its steps reported so far.
    pub fn steps_cost(&self) -> Cost {
        self.steps.iter().filter_map(|s| s.cost).fold(Cost::default(), Cost::plus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{ApprovalGate, Approver};

    fn run() -> Run {
        Run::new(RunId::new(), ThreadId::new(), "coder".into(), Utc::now())
    }

    fn gated_step() -> StepRun {
        let step_type = StepType::ToolCall {
            tool_use_id: ToolUseId::new(),
            tool_name: "write_file".into(),
            gate: ApprovalGate::NeedsApproval,
        };
        StepRun::new(StepId::new(), step_type, "write".into(), Utc::now())
    }

    fn approve() -> ApprovalDecision {
        ApprovalDecision { verdict: Verdict::Approved, by: Approver::Person, reason: None }
    }

    #[test]
    fn run_waits_for_an_approval_then_runs() {
        let mut r = run();
        assert_eq!(r.status, RunStatus::Queued);
        r.start_step(StepRun::new(StepId::new(), StepType::ModelCall, "think".into(), Utc::now())).unwrap();
        assert_eq!(r.status, RunStatus::Running);
        let step = gated_step();
        let step_id = step.id;
        r.start_step(step).unwrap();
        assert_eq!(r.status, RunStatus::WaitingForApproval);
        assert!(r.update_step(step_id, StepStatus::Running, None).is_err(), "cannot run before approval");
        assert!(r.finish(RunStatus::Success, Cost::default(), 1, Utc::now()).is_err());
        r.decide_step(step_id, approve()).unwrap();
        assert_eq!(r.status, RunStatus::Running);
        assert_eq!(r.step(step_id).unwrap().status, StepStatus::Running);
        assert!(r.decide_step(step_id, approve()).is_err(), "a step is decided once");
    }

    #[test]
    fn rejection_skips_the_step() {
        let mut r = run();
        let step = gated_step();
        let id = step.id;
        r.start_step(step).unwrap();
        let reject = ApprovalDecision { verdict: Verdict::Rejected, by: Approver::Person, reason: None };
        r.decide_step(id, reject).unwrap();
        assert_eq!(r.step(id).unwrap().status, StepStatus::Skipped);
        assert_eq!(r.status, RunStatus::Running);
    }

    #[test]
    fn waiting_steps_are_the_undecided_gated_ones_still_open() {
        let mut r = run();
        let ids = |r: &Run| r.waiting_steps().map(|s| s.id).collect::<Vec<_>>();
        r.start_step(StepRun::new(StepId::new(), StepType::ModelCall, "think".into(), Utc::now())).unwrap();
        let allowed = StepType::ToolCall {
            tool_use_id: ToolUseId::new(),
            tool_name: "read_file".into(),
            gate: ApprovalGate::PreApproved { policy: "read-only tool".into() },
        };
        r.start_step(StepRun::new(StepId::new(), allowed, "read".into(), Utc::now())).unwrap();
        let gated = [gated_step(), gated_step(), gated_step(), gated_step()];
        let [first, second, third, fourth] = gated.each_ref().map(|s| s.id);
        gated.into_iter().for_each(|step| r.start_step(step).unwrap());
        assert_eq!(ids(&r), [first, second, third, fourth], "model calls and pre-approved tools never wait");

        r.decide_step(first, approve()).unwrap();
        let reject = ApprovalDecision { verdict: Verdict::Rejected, by: Approver::Person, reason: None };
        r.decide_step(second, reject).unwrap();
        r.update_step(third, StepStatus::Skipped, None).unwrap();
        assert_eq!(ids(&r), [fourth], "a decided step and one ended undecided wait no longer");
        assert!(r.is_waiting());

        r.decide_step(fourth, approve()).unwrap();
        assert_eq!(ids(&r), [], "nothing waits once every step is decided");
        assert!(!r.is_waiting(), "the run's count of waiting steps agrees");
    }

    #[test]
    fn step_costs_add_up_and_final_runs_stay_final() {
        let mut r = run();
        let s = StepRun::new(StepId::new(), StepType::ModelCall, "m".into(), Utc::now());
        let id = s.id;
        r.start_step(s).unwrap();
        let cost = Cost { input_tokens: 10, output_tokens: 5, total_tokens: 15, usd_cents: 1 };
        r.complete_step(id, StepResult::Success, Some(cost), Utc::now()).unwrap();
        assert_eq!(r.steps_cost(), cost);
        assert!(r.complete_step(id, StepResult::Success, None, Utc::now()).is_err());
        r.finish(RunStatus::Success, cost, 10, Utc::now()).unwrap();
        assert!(r.finish(RunStatus::Failed, cost, 10, Utc::now()).is_err());
        assert!(r.start_step(gated_step()).is_err());
    }
}
