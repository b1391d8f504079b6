//! `RunView`: one run for the run panel — its steps with status and progress, the tool uses it
//! made (with their full input, to show what a step waiting for approval will do), artifacts,
//! cost and duration, and the run's plan with the plan item each step worked on.
//!
//! The plan is a projection too: the input of the run's latest completed `update_plan` call
//! (see `plan`). A step belongs to the item that was in progress, by event order, when the step
//! started; a step started while no item was in progress belongs to none.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::plan::{Plan, UPDATE_PLAN};
use super::{EventProjection, Projection};
use crate::entities::{Run, StepRun, ToolUse};
use crate::envelope::{EventEnvelope, META_REASON, META_TURN_LIMIT};
use crate::events::DomainEvent;
use crate::ids::{RunId, StepId, ToolUseId};
use crate::values::{ArtifactType, Verdict};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(from = "RunViewData")]
pub struct RunView {
    pub run_id: RunId,
    /// `None` until `RunStarted` is applied.
    pub run: Option<Run>,
    pub tool_uses: Vec<ToolUse>,
    pub artifacts: Vec<ArtifactInfo>,
    /// The input of the run's latest completed `update_plan` call; `None` until one completes.
    /// An input that is not a valid plan leaves the plan as it was.
    pub plan: Option<Plan>,
    /// For each step started while a plan item was in progress: that item's index in the plan
    /// of that moment. Steps started with no item in progress are absent.
    pub step_plan_items: BTreeMap<StepId, u32>,
    /// Why the run ended, in words, when its ending event says (`META_REASON`).
    pub end_reason: Option<String>,
    /// The run stopped at its turn limit while the model was still working (`META_TURN_LIMIT`):
    /// the run panel offers "Continue".
    pub stopped_at_turn_limit: bool,
    /// Why a step started as it did, when its start says (`META_REASON`): the rule that made a
    /// tool call wait for the person.
    pub step_reasons: BTreeMap<StepId, String>,
    #[serde(skip)]
    tool_index: HashMap<ToolUseId, usize>,
}

/// An artifact without its bytes (those stay in the log).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ArtifactInfo {
    pub artifact_id: String,
    pub artifact_type: ArtifactType,
    pub size: usize,
}

#[derive(Deserialize)]
struct RunViewData {
    run_id: RunId,
    run: Option<Run>,
    tool_uses: Vec<ToolUse>,
    artifacts: Vec<ArtifactInfo>,
    #[serde(default)]
    plan: Option<Plan>,
    #[serde(default)]
    step_plan_items: BTreeMap<StepId, u32>,
    #[serde(default)]
    end_reason: Option<String>,
    #[serde(default)]
    stopped_at_turn_limit: bool,
    #[serde(default)]
    step_reasons: BTreeMap<StepId, String>,
}

impl From<RunViewData> for RunView {
    fn from(d: RunViewData) -> Self {
        let tool_index = d.tool_uses.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
        Self {
            run_id: d.run_id,
            run: d.run,
            tool_uses: d.tool_uses,
            artifacts: d.artifacts,
            plan: d.plan,
            step_plan_items: d.step_plan_items,
            end_reason: d.end_reason,
            stopped_at_turn_limit: d.stopped_at_turn_limit,
            step_reasons: d.step_reasons,
            tool_index,
        }
    }
}

impl RunView {
    pub fn new(run_id: RunId) -> Self {
        Self {
            run_id,
            run: None,
            tool_uses: Vec::new(),
            artifacts: Vec::new(),
            plan: None,
            step_plan_items: BTreeMap::new(),
            end_reason: None,
            stopped_at_turn_limit: false,
            step_reasons: BTreeMap::new(),
            tool_index: HashMap::new(),
        }
    }

    /// The index of the plan item the step worked on: the one in progress when it started.
    pub fn plan_item_of(&self, step: StepId) -> Option<usize> {
        self.step_plan_items.get(&step).map(|&i| i as usize)
    }

    /// The tool use with this id.
    pub fn tool_use(&self, id: ToolUseId) -> Option<&ToolUse> {
        self.tool_index.get(&id).map(|&i| &self.tool_uses[i])
    }

    /// Steps that wait for a person's decision (`Run::waiting_steps`), with the tool use each
    /// would run once its `ToolUseStarted` is applied.
    pub fn pending_approvals(&self) -> Vec<(&StepRun, Option<&ToolUse>)> {
        let Some(run) = &self.run else { return Vec::new() };
        run.waiting_steps().map(|s| (s, s.tool_use_id().and_then(|id| self.tool_use(id)))).collect()
    }

    /// Folds in one event; returns whether the view changed.
    pub fn apply(&mut self, event: &DomainEvent) -> bool {
        use DomainEvent as E;
        let tool_event = event.tool_use_id().is_some_and(|id| self.tool_index.contains_key(&id));
        if event.run_id() != Some(self.run_id) && !tool_event {
            return false;
        }
        if matches!(event, E::FileChanged { .. }) {
            return false;
        }
        if let E::RunStarted { run_id, thread_id, agent_name, timestamp } = event {
            if self.run.is_none() {
                self.run = Some(Run::new(*run_id, *thread_id, agent_name.clone(), *timestamp));
            }
            return true;
        }
        match event {
            E::ToolUseStarted { tool_use_id, run_id, message_id, tool_name, input, timestamp } => {
                if self.tool_index.contains_key(tool_use_id) {
                    return false;
                }
                let mut tool = ToolUse::new(
                    *tool_use_id,
                    *run_id,
                    *message_id,
                    tool_name.clone(),
                    input.clone(),
                    *timestamp,
                );
                let waits = self
                    .run
                    .as_ref()
                    .and_then(|r| r.step_for_tool(*tool_use_id))
                    .is_some_and(StepRun::awaiting_approval);
                if !waits {
                    let _always_legal_from_pending = tool.start(*timestamp);
                }
                self.tool_index.insert(*tool_use_id, self.tool_uses.len());
                self.tool_uses.push(tool);
                return true;
            }
            E::ToolUseProgress { .. } => return true,
            E::ToolUseComplete { tool_use_id, result, duration_ms, timestamp } => {
                let completed = self
                    .tool_mut(*tool_use_id)
                    .is_some_and(|t| t.complete(result.clone(), *duration_ms, *timestamp).is_ok());
                if completed {
                    self.take_plan_from(*tool_use_id);
                }
                return true;
            }
            E::ToolUseFailed { tool_use_id, error, timestamp } => {
                if let Some(t) = self.tool_mut(*tool_use_id) {
                    let _ignored_if_illegal = t.fail(error.clone(), *timestamp);
                }
                return true;
            }
            E::ToolUseCancelled { tool_use_id, timestamp } => {
                if let Some(t) = self.tool_mut(*tool_use_id) {
                    let _ignored_if_illegal = t.cancel(*timestamp);
                }
                return true;
            }
            E::RunArtifactAdded { artifact_id, artifact_type, data, .. } => {
                self.artifacts.push(ArtifactInfo {
                    artifact_id: artifact_id.clone(),
                    artifact_type: artifact_type.clone(),
                    size: data.len(),
                });
                return true;
            }
            _ => {}
        }
        let Some(run) = &mut self.run else { return false };
        match event {
            E::RunStepStarted { step_id, step_type, description, timestamp, .. } => {
                let step = StepRun::new(*step_id, step_type.clone(), description.clone(), *timestamp);
                if run.start_step(step).is_ok() {
                    if let Some(item) = self.plan.as_ref().and_then(Plan::in_progress) {
                        // An index below PLAN_ITEMS fits in a u32.
                        self.step_plan_items.insert(*step_id, item as u32);
                    }
                }
            }
            E::RunStepUpdated { step_id, status, progress, decision, timestamp, .. } => match decision {
                Some(decision) => {
                    let _ignored_if_illegal = run.decide_step(*step_id, decision.clone());
                    let tool = run.step(*step_id).and_then(StepRun::tool_use_id);
                    if decision.verdict == Verdict::Approved {
                        if let Some(t) = tool.and_then(|id| self.tool_mut(id)) {
                            let _ignored_if_illegal = t.start(*timestamp);
                        }
                    }
                }
                None => {
                    let _ignored_if_illegal = run.update_step(*step_id, *status, *progress);
                }
            },
            E::RunStepComplete { step_id, result, cost, timestamp, .. } => {
                let _ignored_if_illegal = run.complete_step(*step_id, result.clone(), *cost, *timestamp);
            }
            E::RunFinished { status, cost, duration_ms, timestamp, .. } => {
                let _ignored_if_illegal = run.finish(*status, *cost, *duration_ms, *timestamp);
            }
            _ => return false,
        }
        true
    }

    /// Makes the input of a just-completed `update_plan` call the run's plan, if it is one.
    fn take_plan_from(&mut self, id: ToolUseId) {
        let Some(tool) = self.tool_use(id).filter(|t| t.tool_name == UPDATE_PLAN) else { return };
        if let Ok(plan) = Plan::from_input(&tool.input) {
            self.plan = Some(plan);
        }
    }

    fn tool_mut(&mut self, id: ToolUseId) -> Option<&mut ToolUse> {
        let i = *self.tool_index.get(&id)?;
        self.tool_uses.get_mut(i)
    }
}

impl Projection for RunView {
    const NAME: &'static str = "run_view";
    /// 2: the plan and the plan item of each step. 3: why the run ended. 4: why steps started.
    const VERSION: u32 = 4;

    fn apply_envelope(&mut self, envelope: &EventEnvelope) {
        self.apply(&envelope.event);
        if let DomainEvent::RunStepStarted { run_id, step_id, .. } = &envelope.event {
            if let Some(reason) = envelope.metadata.get(META_REASON).filter(|_| *run_id == self.run_id) {
                self.step_reasons.insert(*step_id, reason.clone());
            }
        }
        if let DomainEvent::RunFinished { run_id, .. } = &envelope.event {
            if *run_id == self.run_id {
                self.end_reason = envelope.metadata.get(META_REASON).cloned();
                self.stopped_at_turn_limit =
                    envelope.metadata.get(META_TURN_LIMIT).is_some_and(|v| v == "true");
            }
        }
    }
}

impl EventProjection for RunView {
    fn apply_event(&mut self, event: &DomainEvent) {
        self.apply(event);
    }
}
