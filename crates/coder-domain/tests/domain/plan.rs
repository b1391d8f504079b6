//! The run's plan in `RunView`: the input of the run's latest completed `update_plan` call, and
//! each step placed under the plan item that was in progress when it started. No event of its
//! own: everything here is built from tool uses the log already records.

use coder_domain::projections::PLAN_ITEMS;
use coder_domain::*;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::support::{now, pre_approved, Scenario, World};

/// A run whose history is built command by command, kept as envelopes too.
struct PlanRun {
    world: World,
    s: Scenario,
}

impl PlanRun {
    fn new() -> Self {
        let world = World::new();
        let s = world.scenario();
        Self { world, s }
    }

    fn run_id(&self) -> RunId {
        self.world.run
    }

    /// A model call, started and completed.
    fn model_call(&mut self) -> StepId {
        let step_id = StepId::new();
        let run_id = self.run_id();
        self.s.run(Command::StartStep {
            run_id,
            step_id,
            step_type: StepType::ModelCall,
            description: "model call".into(),
        });
        self.s.run(Command::CompleteStep { run_id, step_id, result: StepResult::Success, cost: None });
        step_id
    }

    /// A tool call's step and tool use, started (it runs at once) but not finished.
    fn start_tool(&mut self, tool: &str, input: Value) -> (StepId, ToolUseId) {
        let (step_id, tool_use_id) = (StepId::new(), ToolUseId::new());
        self.s.run(Command::StartStep {
            run_id: self.run_id(),
            step_id,
            step_type: StepType::ToolCall { tool_use_id, tool_name: tool.into(), gate: pre_approved() },
            description: format!("Use {tool}"),
        });
        self.s.run(Command::StartToolUse {
            tool_use_id,
            run_id: self.run_id(),
            message_id: self.world.reply,
            tool_name: tool.into(),
            input,
        });
        (step_id, tool_use_id)
    }

    fn complete(&mut self, (step_id, tool_use_id): (StepId, ToolUseId)) {
        let result = ToolOutput::Text("ok".into());
        self.s.run(Command::CompleteToolUse { tool_use_id, result, duration_ms: 1 });
        let run_id = self.run_id();
        self.s.run(Command::CompleteStep { run_id, step_id, result: StepResult::Success, cost: None });
    }

    fn fail(&mut self, (step_id, tool_use_id): (StepId, ToolUseId)) {
        let error = "refused".to_string();
        self.s.run(Command::FailToolUse { tool_use_id, error: error.clone() });
        let run_id = self.run_id();
        self.s.run(Command::CompleteStep {
            run_id,
            step_id,
            result: StepResult::Failed { error },
            cost: None,
        });
    }

    /// A tool call that runs and completes; returns its step.
    fn use_tool(&mut self, tool: &str, input: Value) -> StepId {
        let call = self.start_tool(tool, input);
        self.complete(call);
        call.0
    }

    fn update_plan(&mut self, input: Value) -> StepId {
        self.use_tool("update_plan", input)
    }

    /// The run view replayed from the whole history.
    fn view(&self) -> RunView {
        let mut view = RunView::new(self.run_id());
        self.s.history.iter().for_each(|e| {
            view.apply(e);
        });
        view
    }

    /// The history as stored envelopes (one stream is enough for `RunView`).
    fn envelopes(&self) -> Vec<EventEnvelope> {
        let stream = StreamId::Run(self.run_id());
        self.s
            .history
            .iter()
            .enumerate()
            .map(|(i, e)| NewEvent::new(e.clone()).into_envelope(i as u64 + 1, stream, i as u64 + 1))
            .collect()
    }
}

fn plan_input(items: &[(&str, &str)]) -> Value {
    let items: Vec<Value> =
        items.iter().map(|(title, status)| json!({"title": title, "status": status})).collect();
    json!({ "items": items })
}

fn statuses(view: &RunView) -> Vec<(String, PlanStatus)> {
    view.plan
        .as_ref()
        .map_or_else(Vec::new, |p| p.items.iter().map(|i| (i.title.clone(), i.status)).collect())
}

const READ: &str = "Read the parser";
const FIX: &str = "Fix the off-by-one";
const TEST: &str = "Run the tests";

#[test]
fn a_plan_updated_three_times_places_each_step_under_the_item_in_progress_when_it_started() {
    let mut r = PlanRun::new();
    let first_call = r.model_call();
    assert_eq!(r.view().plan, None, "no plan before the first update_plan completes");

    let first_update =
        r.update_plan(plan_input(&[(READ, "in_progress"), (FIX, "pending"), (TEST, "pending")]));
    assert_eq!(
        statuses(&r.view()),
        [
            (READ.into(), PlanStatus::InProgress),
            (FIX.into(), PlanStatus::Pending),
            (TEST.into(), PlanStatus::Pending)
        ]
    );
    let reading_call = r.model_call();
    let read = r.use_tool("read_file", json!({"path": "src/parser.rs"}));

    let second_update = r.update_plan(plan_input(&[(READ, "done"), (FIX, "in_progress"), (TEST, "pending")]));
    let view = r.view();
    assert_eq!(view.plan.as_ref().map(Plan::done), Some(1), "the second update is the plan now");
    let fixing_call = r.model_call();
    let edit = r.use_tool("edit_file", json!({"path": "src/parser.rs"}));

    let mut done = plan_input(&[(READ, "done"), (FIX, "done"), (TEST, "done")]);
    done["note"] = json!("all green");
    let third_update = r.update_plan(done);
    let last_call = r.model_call();

    let view = r.view();
    let plan = view.plan.as_ref().expect("the plan of the third update");
    assert_eq!((plan.done(), plan.in_progress(), plan.note.as_deref()), (3, None, Some("all green")));
    let placed: Vec<Option<usize>> = [
        first_call,
        first_update,
        reading_call,
        read,
        second_update,
        fixing_call,
        edit,
        third_update,
        last_call,
    ]
    .iter()
    .map(|&s| view.plan_item_of(s))
    .collect();
    assert_eq!(
        placed,
        [
            None,    // before any plan
            None,    // the first update started before its own plan existed
            Some(0), // reading
            Some(0),
            Some(0), // the update that ends reading started while reading was in progress
            Some(1), // fixing
            Some(1),
            Some(1),
            None, // every item done: no item in progress
        ],
        "each step sits under the item in progress when it started, by event order"
    );
    assert_eq!(view.step_plan_items.len(), 6, "only placed steps are listed");
}

#[test]
fn a_plan_counts_only_once_its_call_completes() {
    let mut r = PlanRun::new();
    r.update_plan(plan_input(&[(READ, "in_progress"), (FIX, "pending")]));
    let before = r.view().plan;

    let running = r.start_tool("update_plan", plan_input(&[(READ, "done"), (FIX, "in_progress")]));
    let during = r.model_call();
    assert_eq!(r.view().plan, before, "a call still running is not the plan yet");
    assert_eq!(r.view().plan_item_of(during), Some(0));
    r.fail(running);
    assert_eq!(r.view().plan, before, "a failed call never becomes the plan");

    let other = r.use_tool("update_plans", plan_input(&[(TEST, "in_progress")]));
    assert_eq!(r.view().plan, before, "only update_plan sets the plan");
    assert_eq!(r.view().plan_item_of(other), Some(0));
}

#[test]
fn malformed_update_plan_inputs_are_ignored_without_panic() {
    let mut r = PlanRun::new();
    r.update_plan(plan_input(&[(READ, "in_progress"), (FIX, "pending")]));
    let good = r.view().plan.expect("a valid plan");

    let too_many: Vec<(String, &str)> = (0..=PLAN_ITEMS).map(|i| (format!("item {i}"), "pending")).collect();
    let too_many: Vec<(&str, &str)> = too_many.iter().map(|(t, s)| (t.as_str(), *s)).collect();
    let huge_title = "x".repeat(512 * 1024);
    let malformed = [
        json!("do everything"),
        json!(null),
        json!({"items": "read, fix, test"}),
        json!({"items": []}),
        json!({"items": [{"title": "a"}]}),
        json!({"items": [{"title": 7, "status": "done"}]}),
        json!({"items": [{"title": "a", "status": "started"}]}),
        plan_input(&too_many),
        plan_input(&[(&huge_title, "pending")]),
        plan_input(&[("a", "in_progress"), ("b", "in_progress")]),
        json!({"items": [{"title": "a", "status": "done"}], "note": {"nested": true}}),
        json!({"items": [{"title": "a", "status": "done"}], "then": "rm -rf /"}),
    ];
    for input in malformed {
        let shown = input.to_string().chars().take(80).collect::<String>();
        let step = r.update_plan(input);
        let view = r.view();
        assert_eq!(view.plan.as_ref(), Some(&good), "a malformed update leaves the plan as it was: {shown}");
        assert_eq!(view.plan_item_of(step), Some(0), "its step still sits under the item in progress");
    }
}

#[test]
fn another_runs_plan_is_not_this_runs() {
    let mut r = PlanRun::new();
    r.update_plan(plan_input(&[(READ, "in_progress")]));
    let first_run = r.run_id();
    let other_run = RunId::new();
    r.s.run(Command::FinishRun {
        run_id: r.run_id(),
        status: RunStatus::Success,
        cost: Cost::default(),
        duration_ms: 1,
    });
    r.s.run(Command::StartRun { run_id: other_run, thread_id: r.world.thread, agent_name: "coder".into() });
    r.world.run = other_run;
    r.update_plan(plan_input(&[(TEST, "done")]));
    let step = r.model_call();

    let mut first = RunView::new(first_run);
    r.s.history.iter().for_each(|e| {
        first.apply(e);
    });
    assert_eq!(statuses(&first), [(READ.into(), PlanStatus::InProgress)]);
    assert_eq!(first.plan_item_of(step), None, "the other run's steps are not placed here");
    assert_eq!(statuses(&r.view()), [(TEST.into(), PlanStatus::Done)]);
}

#[test]
fn a_snapshot_at_any_point_plus_the_tail_equals_the_full_replay() {
    let mut r = PlanRun::new();
    r.model_call();
    r.update_plan(plan_input(&[(READ, "in_progress"), (FIX, "pending")]));
    r.use_tool("read_file", json!({"path": "a"}));
    r.update_plan(json!({"items": []}));
    let running = r.start_tool("update_plan", plan_input(&[(READ, "done"), (FIX, "in_progress")]));
    r.model_call();
    r.complete(running);
    r.use_tool("edit_file", json!({"path": "a"}));
    let envelopes = r.envelopes();
    let full = r.view();
    assert!(
        full.plan.is_some() && full.step_plan_items.len() == 5,
        "the history exercises the plan: {full:?}"
    );
    for cut in 0..=envelopes.len() {
        assert_snapshot_restores(&envelopes, cut, &full);
    }
}

#[test]
fn a_run_view_stored_without_a_plan_still_reads() {
    let r = PlanRun::new();
    let mut json = serde_json::to_value(r.view()).unwrap();
    let object = json.as_object_mut().unwrap();
    for field in ["plan", "step_plan_items", "end_reason", "stopped_at_turn_limit", "step_reasons"] {
        assert!(object.remove(field).is_some(), "{field} is serialized");
    }
    let read: RunView = serde_json::from_value(json).expect("a view from before plans decodes");
    assert_eq!((read.plan, read.step_plan_items.len()), (None, 0));
    assert_eq!((read.end_reason, read.stopped_at_turn_limit), (None, false));
    assert_eq!(<RunView as Projection>::VERSION, 4, "the shape changed, so old snapshots are rebuilt");
}

fn assert_snapshot_restores(envelopes: &[EventEnvelope], cut: usize, full: &RunView) {
    let mut head = RunView::new(full.run_id);
    envelopes[..cut].iter().for_each(|e| head.apply_envelope(e));
    let snapshot = Snapshot::take(head, cut as u64, now());
    let bytes = serde_json::to_vec(&snapshot).expect("a run view serializes");
    let snapshot: Snapshot<RunView> = serde_json::from_slice(&bytes).expect("and reads back");
    let restored = Snapshot::restore_envelopes(snapshot, envelopes);
    assert_eq!(&restored, full, "snapshot at {cut} + tail differs from the full replay");
}

/// One step of a random run with plans.
#[derive(Clone, Debug)]
enum Op {
    ModelCall,
    /// A valid plan with this many items, the n-th in progress (none when out of range).
    Plan(u8, u8),
    Malformed,
    /// An update_plan call left running, completed or failed by later ops.
    StartPlan(u8),
    FinishOpen(bool),
    Tool,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::ModelCall),
        3 => (1u8..6, 0u8..8).prop_map(|(n, at)| Op::Plan(n, at)),
        1 => Just(Op::Malformed),
        1 => (1u8..6).prop_map(Op::StartPlan),
        1 => any::<bool>().prop_map(Op::FinishOpen),
        2 => Just(Op::Tool),
    ]
}

fn valid_plan(items: u8, at: u8) -> Value {
    let items: Vec<Value> = (0..items)
        .map(|i| {
            let status = match i.cmp(&at) {
                std::cmp::Ordering::Less => "done",
                std::cmp::Ordering::Equal => "in_progress",
                std::cmp::Ordering::Greater => "pending",
            };
            json!({"title": format!("item {i}"), "status": status})
        })
        .collect();
    json!({ "items": items })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_plans_snapshot_and_replay_alike(ops in prop::collection::vec(op(), 1..40), cut in 0.0f64..=1.0) {
        let mut r = PlanRun::new();
        let mut open: Vec<(StepId, ToolUseId)> = Vec::new();
        for op in ops {
            match op {
                Op::ModelCall => { r.model_call(); }
                Op::Plan(n, at) => { r.update_plan(valid_plan(n, at)); }
                Op::Malformed => { r.update_plan(json!({"items": [{"title": "", "status": "done"}]})); }
                Op::StartPlan(n) => open.push(r.start_tool("update_plan", valid_plan(n, 0))),
                Op::FinishOpen(ok) => match (open.pop(), ok) {
                    (Some(call), true) => r.complete(call),
                    (Some(call), false) => r.fail(call),
                    (None, _) => {}
                },
                Op::Tool => { r.use_tool("read_file", json!({"path": "a"})); }
            }
        }
        let envelopes = r.envelopes();
        let full = r.view();
        let placed_ok = full.step_plan_items.values().all(|&i| (i as usize) < PLAN_ITEMS);
        prop_assert!(placed_ok, "an item index is within a plan's size");
        let cut = (envelopes.len() as f64 * cut) as usize;
        assert_snapshot_restores(&envelopes, cut, &full);
    }
}

/// A run's ending event says why it ended in its metadata; the run view shows it, and marks a
/// run stopped at its turn limit so that it can be continued.
#[test]
fn a_run_view_says_why_its_run_ended_and_whether_it_stopped_at_its_turn_limit() {
    let run_id = RunId::new();
    let thread_id = ThreadId::new();
    let finished = |metadata: &[(&str, &str)]| {
        let mut envelope = NewEvent::new(DomainEvent::RunFinished {
            run_id,
            status: RunStatus::Failed,
            cost: Cost::default(),
            duration_ms: 5,
            timestamp: now(),
        })
        .into_envelope(2, StreamId::Run(run_id), 2);
        envelope.metadata = metadata.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        envelope
    };
    let started = NewEvent::new(DomainEvent::RunStarted {
        run_id,
        thread_id,
        agent_name: "coder".into(),
        timestamp: now(),
    })
    .into_envelope(1, StreamId::Run(run_id), 1);
    let view = |end: EventEnvelope| {
        let mut view = RunView::new(run_id);
        view.apply_envelope(&started);
        view.apply_envelope(&end);
        view
    };
    let stopped = view(finished(&[
        (META_REASON, "the model made 40 calls without finishing; stopped"),
        (META_TURN_LIMIT, "true"),
    ]));
    assert!(stopped.stopped_at_turn_limit);
    assert_eq!(stopped.end_reason.as_deref(), Some("the model made 40 calls without finishing; stopped"));
    let failed = view(finished(&[(META_REASON, "the provider refused")]));
    assert!(!failed.stopped_at_turn_limit, "only the turn limit's mark offers Continue");
    assert_eq!(failed.end_reason.as_deref(), Some("the provider refused"));
    let plain = view(finished(&[]));
    assert_eq!((plain.end_reason, plain.stopped_at_turn_limit), (None, false));
}
