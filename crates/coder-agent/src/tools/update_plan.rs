//! `update_plan`: the model keeps a short todo list for the run.
//!
//! The tool has no effect outside the log: its input, recorded with the tool use, is the plan,
//! and the run panel shows the input of the run's latest completed call (`RunView::plan`). It
//! checks the input with the same rules as that projection (`Plan::from_input`), so a plan the
//! model is told was accepted is the plan the person sees.

use coder_domain::projections::{PLAN_ITEMS, PLAN_NOTE_CHARS, PLAN_TITLE_CHARS};
use coder_domain::{Plan, PlanStatus, ToolOutput, UPDATE_PLAN};
use futures_util::future::BoxFuture;
use serde_json::json;

use super::{Tool, ToolContext, ToolError, ToolKind, ToolResult};
use crate::provider::ToolSpec;

#[derive(Debug, Clone, Copy, Default)]
pub struct UpdatePlan;

impl Tool for UpdatePlan {
    fn name(&self) -> &'static str {
        UPDATE_PLAN
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().into(),
            description: format!(
                "Keep a short plan for this task, shown to the person as the run's progress. Use it \
                 when the task takes several steps (three or more): send the whole list at the \
                 start, then again each time an item starts or is done — always the whole list, \
                 with every item's status. Keep exactly one item in_progress while you work on \
                 it, mark items done as soon as they are, and mark them all done before your \
                 final answer. Skip it for a quick question or a one-step change. At most \
                 {PLAN_ITEMS} items of at most {PLAN_TITLE_CHARS} characters."
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "items": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": PLAN_ITEMS,
                        "description": "The whole plan, in order: every item, including those already done.",
                        "items": {
                            "type": "object",
                            "properties": {
                                "title": {"type": "string", "maxLength": PLAN_TITLE_CHARS, "description": "What the item does, in a few words, e.g. `Add tests for the parser`."},
                                "status": {"type": "string", "enum": ["pending", "in_progress", "done"], "description": "At most one item is in_progress."}
                            },
                            "required": ["title", "status"],
                            "additionalProperties": false
                        }
                    },
                    "note": {"type": "string", "maxLength": PLAN_NOTE_CHARS, "description": "Optional: why the plan changed, in one sentence."}
                },
                "required": ["items"],
                "additionalProperties": false
            }),
        }
    }

    fn run<'a>(
        &'a self,
        input: serde_json::Value,
        _ctx: &'a ToolContext,
    ) -> BoxFuture<'a, Result<ToolResult, ToolError>> {
        Box::pin(async move {
            let plan = Plan::from_input(&input)
                .map_err(|err| ToolError::InvalidInput(format!("{}: {err}", self.name())))?;
            Ok(ToolResult { output: ToolOutput::Text(confirmation(&plan)), writes: Vec::new() })
        })
    }
}

/// What the model is told: the plan was kept, how far it is, and what comes next.
fn confirmation(plan: &Plan) -> String {
    let total = plan.items.len();
    let done = plan.done();
    let current = plan
        .in_progress()
        .map(|i| &plan.items[i])
        .or_else(|| plan.items.iter().find(|item| item.status == PlanStatus::Pending));
    match current {
        _ if done == total => format!("Plan updated: all {total} items done."),
        Some(item) if item.status == PlanStatus::InProgress => {
            format!("Plan updated: {done} of {total} done; in progress: {}.", item.title)
        }
        Some(item) => format!("Plan updated: {done} of {total} done; next: {}.", item.title),
        None => format!("Plan updated: {done} of {total} done."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the tool on `input` with a context whose root does not exist: the tool never
    /// touches the disk.
    fn run(input: serde_json::Value) -> Result<String, ToolError> {
        let (progress, _rx) = crate::tools::progress_channel();
        let ctx = ToolContext {
            root: std::path::PathBuf::from("/nonexistent/coder-plan-root"),
            cancel: Default::default(),
            progress,
            env_allow: Vec::new(),
        };
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let result = runtime.block_on(UpdatePlan.run(input, &ctx))?;
        assert!(result.writes.is_empty(), "a plan writes nothing");
        match result.output {
            ToolOutput::Text(text) => Ok(text),
            other => panic!("a plan is confirmed in text: {other:?}"),
        }
    }

    fn items(list: &[(&str, &str)]) -> serde_json::Value {
        let items: Vec<_> = list.iter().map(|(t, s)| json!({"title": t, "status": s})).collect();
        json!({ "items": items })
    }

    #[test]
    fn a_valid_plan_is_confirmed_with_its_progress() {
        let confirmed = run(items(&[("Read", "done"), ("Fix", "in_progress"), ("Test", "pending")])).unwrap();
        assert_eq!(confirmed, "Plan updated: 1 of 3 done; in progress: Fix.");
        let next = run(items(&[("Read", "done"), ("Fix", "pending")])).unwrap();
        assert_eq!(next, "Plan updated: 1 of 2 done; next: Fix.");
        let all = run(items(&[("Read", "done"), ("Fix", "done")])).unwrap();
        assert_eq!(all, "Plan updated: all 2 items done.");
    }

    #[test]
    fn a_bad_plan_is_refused_with_a_message_the_model_can_act_on() {
        let cases = [
            (json!({"items": []}), "at least one item"),
            (items(&[("a", "in_progress"), ("b", "in_progress")]), "items 1 and 2 are both in progress"),
            (items(&[("", "pending")]), "item 1 has an empty title"),
            (items(&[("a", "started")]), "\"pending\", \"in_progress\" or \"done\""),
            (json!({"items": [{"title": "a", "status": "done"}], "steps": []}), "unknown field `steps`"),
            (json!({"note": "x"}), "`items` is missing"),
        ];
        for (input, expected) in cases {
            let Err(ToolError::InvalidInput(message)) = run(input.clone()) else {
                panic!("{input} is refused");
            };
            assert!(message.starts_with("update_plan: "), "the message names the tool: {message}");
            assert!(message.contains(expected), "{input}: {message}");
        }
        let too_many: Vec<_> = (0..=PLAN_ITEMS).map(|i| (format!("item {i}"), "pending")).collect();
        let too_many: Vec<_> = too_many.iter().map(|(t, s)| (t.as_str(), *s)).collect();
        let Err(ToolError::InvalidInput(message)) = run(items(&too_many)) else { panic!() };
        assert!(message.contains(&format!("more than {PLAN_ITEMS}")), "{message}");
        let long = "t".repeat(PLAN_TITLE_CHARS + 1);
        let Err(ToolError::InvalidInput(message)) = run(items(&[(&long, "pending")])) else { panic!() };
        assert!(message.contains(&format!("more than {PLAN_TITLE_CHARS}")), "{message}");
    }

    #[test]
    fn it_runs_at_once_and_tells_the_model_when_to_use_it() {
        assert_eq!(UpdatePlan.kind(), ToolKind::Read, "a plan needs no approval");
        let spec = UpdatePlan.spec();
        assert_eq!(spec.name, "update_plan");
        assert!(spec.description.contains("whole list") && spec.description.contains("in_progress"));
        let statuses = &spec.input_schema["properties"]["items"]["items"]["properties"]["status"]["enum"];
        let words: Vec<&str> = [PlanStatus::Pending, PlanStatus::InProgress, PlanStatus::Done]
            .into_iter()
            .map(PlanStatus::as_str)
            .collect();
        assert_eq!(statuses, &json!(words), "the schema offers exactly the statuses the plan reads");
    }
}
