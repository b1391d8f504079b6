//! Property tests: snapshot + tail equals full replay for every projection, on random valid
//! command sequences; and no event order, however wrong, makes `apply` or `decide` panic.

use std::fmt::Debug;

use coder_domain::*;
use proptest::prelude::*;
use serde_json::json;

use crate::support::now;

/// One step of a random workload; the numbers pick among existing entities.
#[derive(Clone, Debug)]
enum Op {
    CreateProject,
    UpdateProject(u8, bool),
    CreateThread(u8),
    Rename(u8, u8),
    Archive(u8, bool),
    MarkRead(u8),
    Send(u8, u8),
    Delete(u8),
    StartRun(u8),
    StartAssistant(u8),
    Stream(u8, u8),
    Complete(u8),
    ModelStep(u8),
    CompleteStep(u8, u8),
    ToolCall(u8, bool),
    Decide(u8, bool),
    Progress(u8, u8),
    CompleteTool(u8),
    FailTool(u8),
    CancelTool(u8),
    FinishRun(u8, u8),
    CancelRun(u8),
    Artifact(u8),
    FileChange(u8, u8, u8),
    Compact(u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    let n = any::<u8>;
    prop_oneof![
        1 => Just(Op::CreateProject),
        1 => (n(), any::<bool>()).prop_map(|(a, b)| Op::UpdateProject(a, b)),
        3 => n().prop_map(Op::CreateThread),
        1 => (n(), n()).prop_map(|(a, b)| Op::Rename(a, b)),
        1 => (n(), any::<bool>()).prop_map(|(a, b)| Op::Archive(a, b)),
        1 => n().prop_map(Op::MarkRead),
        5 => (n(), n()).prop_map(|(a, b)| Op::Send(a, b)),
        1 => n().prop_map(Op::Delete),
        3 => n().prop_map(Op::StartRun),
        4 => n().prop_map(Op::StartAssistant),
        8 => (n(), n()).prop_map(|(a, b)| Op::Stream(a, b)),
        3 => n().prop_map(Op::Complete),
        2 => n().prop_map(Op::ModelStep),
        2 => (n(), n()).prop_map(|(a, b)| Op::CompleteStep(a, b)),
        4 => (n(), any::<bool>()).prop_map(|(a, b)| Op::ToolCall(a, b)),
        3 => (n(), any::<bool>()).prop_map(|(a, b)| Op::Decide(a, b)),
        2 => (n(), n()).prop_map(|(a, b)| Op::Progress(a, b)),
        2 => n().prop_map(Op::CompleteTool),
        1 => n().prop_map(Op::FailTool),
        1 => n().prop_map(Op::CancelTool),
        1 => (n(), n()).prop_map(|(a, b)| Op::FinishRun(a, b)),
        1 => n().prop_map(Op::CancelRun),
        1 => n().prop_map(Op::Artifact),
        2 => (n(), n(), n()).prop_map(|(a, b, c)| Op::FileChange(a, b, c)),
        1 => (n(), n()).prop_map(|(a, b)| Op::Compact(a, b)),
    ]
}

/// Picks the `i`-th (modulo) of the ids a filter selects, in id order.
fn pick<K: Copy + Ord, V>(
    map: &std::collections::HashMap<K, V>,
    i: u8,
    keep: impl Fn(&V) -> bool,
) -> Option<K> {
    let mut ids: Vec<K> = map.iter().filter(|(_, v)| keep(v)).map(|(k, _)| *k).collect();
    if ids.is_empty() {
        return None;
    }
    ids.sort();
    Some(ids[i as usize % ids.len()])
}

const WORDS: [&str; 6] = ["fix", "the", "build", "🦀 rust", "tests\npass", "ok"];

/// Turns an op into a command against the current state, if it can name its entities.
fn command(state: &DomainState, op: &Op) -> Option<Command> {
    let any_thread = |i| pick(&state.threads, i, |_| true);
    let open_run = |i| pick(&state.runs, i, |r: &Run| !r.status.is_final());
    let streaming = |i| pick(&state.messages, i, |m: &Message| m.streaming);
    let live_tool = |i| pick(&state.tool_uses, i, |t: &ToolUse| !t.status.is_final());
    Some(match *op {
        Op::CreateProject => Command::CreateProject {
            project_id: ProjectId::new(),
            name: "p".into(),
            path: format!("/p/{}", state.projects.len()),
        },
        Op::UpdateProject(i, allow) => Command::UpdateProject {
            project_id: pick(&state.projects, i, |_| true)?,
            changes: ProjectChanges {
                name: (!allow).then(|| format!("p{i}")),
                tool_approvals: [(
                    "write_file".to_string(),
                    if allow { ToolApproval::AlwaysAllow } else { ToolApproval::Ask },
                )]
                .into(),
                ..Default::default()
            },
        },
        Op::CreateThread(i) => Command::CreateThread {
            thread_id: ThreadId::new(),
            title: WORDS[i as usize % WORDS.len()].into(),
            project_id: pick(&state.projects, i, |_| true),
        },
        Op::Rename(i, w) => {
            Command::RenameThread { thread_id: any_thread(i)?, title: WORDS[w as usize % WORDS.len()].into() }
        }
        Op::Archive(i, true) => Command::ArchiveThread { thread_id: any_thread(i)? },
        Op::Archive(i, false) => Command::UnarchiveThread { thread_id: any_thread(i)? },
        Op::MarkRead(i) => Command::MarkThreadRead { thread_id: any_thread(i)? },
        Op::Send(i, w) => Command::SendMessage {
            thread_id: pick(&state.threads, i, |t: &Thread| !t.archived)?,
            message_id: MessageId::new(),
            content: WORDS[w as usize % WORDS.len()].into(),
            // Every fourth message carries a file.
            attachments: if w % 4 == 0 {
                vec![Attachment::File {
                    path: "src/lib.rs".into(),
                    content: "fn main() {}".into(),
                    truncated: false,
                }]
            } else {
                Vec::new()
            },
        },
        Op::Compact(i, w) => {
            let id = pick(&state.messages, i, |m: &Message| !m.streaming)?;
            Command::CompactThread {
                thread_id: state.messages[&id].thread_id,
                through: id,
                summary: WORDS[w as usize % WORDS.len()].into(),
                replaced_tokens: u64::from(w) * 100,
                summary_tokens: u64::from(w),
                trigger: if w % 2 == 0 {
                    CompactionTrigger::Manual
                } else {
                    CompactionTrigger::Automatic { window_tokens: 8192, threshold_percent: 80 }
                },
                run_id: None,
            }
        }
        Op::Delete(i) => {
            let id = pick(&state.messages, i, |m: &Message| !m.streaming)?;
            Command::DeleteMessage { thread_id: state.messages[&id].thread_id, message_id: id }
        }
        Op::StartRun(i) => {
            Command::StartRun { run_id: RunId::new(), thread_id: any_thread(i)?, agent_name: "coder".into() }
        }
        Op::StartAssistant(i) => {
            Command::StartAssistantMessage { thread_id: any_thread(i)?, message_id: MessageId::new() }
        }
        Op::Stream(i, w) => {
            let id = streaming(i)?;
            Command::StreamText {
                thread_id: state.messages[&id].thread_id,
                message_id: id,
                delta: WORDS[w as usize % WORDS.len()].into(),
            }
        }
        Op::Complete(i) => {
            let id = streaming(i)?;
            let m = &state.messages[&id];
            Command::CompleteMessage {
                thread_id: m.thread_id,
                message_id: id,
                final_content: format!("{}.", m.content),
            }
        }
        Op::ModelStep(i) => Command::StartStep {
            run_id: open_run(i)?,
            step_id: StepId::new(),
            step_type: StepType::ModelCall,
            description: "model".into(),
        },
        Op::CompleteStep(i, k) => {
            let run = &state.runs[&open_run(i)?];
            let step = run.steps.iter().filter(|s| s.status == StepStatus::Running).nth(k as usize % 2)?;
            let result =
                if k % 3 == 0 { StepResult::Failed { error: "e".into() } } else { StepResult::Success };
            let cost = Cost {
                input_tokens: k.into(),
                output_tokens: 1,
                total_tokens: u32::from(k) + 1,
                usd_cents: 1,
            };
            Command::CompleteStep { run_id: run.id, step_id: step.id, result, cost: Some(cost) }
        }
        Op::ToolCall(i, gated) => {
            let run_id = open_run(i)?;
            let gate = if gated {
                ApprovalGate::NeedsApproval
            } else {
                ApprovalGate::PreApproved { policy: "p".into() }
            };
            Command::StartStep {
                run_id,
                step_id: StepId::new(),
                step_type: StepType::ToolCall {
                    tool_use_id: ToolUseId::new(),
                    tool_name: "write_file".into(),
                    gate,
                },
                description: "tool".into(),
            }
        }
        Op::Decide(i, approve) => {
            let run = &state.runs[&pick(&state.runs, i, |r: &Run| r.is_waiting())?];
            let step = run.steps.iter().find(|s| s.awaiting_approval())?;
            if approve {
                Command::ApproveStep { run_id: run.id, step_id: step.id, by: Approver::Person }
            } else {
                Command::RejectStep { run_id: run.id, step_id: step.id, by: Approver::Person, reason: None }
            }
        }
        Op::Progress(i, p) => Command::ReportToolProgress {
            tool_use_id: live_tool(i)?,
            progress: f32::from(p % 9) / 8.0,
            status_message: "working".into(),
        },
        Op::CompleteTool(i) => Command::CompleteToolUse {
            tool_use_id: live_tool(i)?,
            result: ToolOutput::Json(json!({"lines": i})),
            duration_ms: i.into(),
        },
        Op::FailTool(i) => Command::FailToolUse { tool_use_id: live_tool(i)?, error: "failed".into() },
        Op::CancelTool(i) => Command::CancelToolUse { tool_use_id: live_tool(i)? },
        Op::FinishRun(i, s) => Command::FinishRun {
            run_id: open_run(i)?,
            status: [RunStatus::Success, RunStatus::Failed, RunStatus::Cancelled][s as usize % 3],
            cost: Cost::default(),
            duration_ms: s.into(),
        },
        Op::CancelRun(i) => Command::CancelRun { run_id: open_run(i)? },
        Op::Artifact(i) => Command::AddArtifact {
            run_id: open_run(i)?,
            artifact_id: "a".into(),
            artifact_type: ArtifactType::Binary { mime_type: "x/y".into() },
            data: vec![i, 0, 255],
        },
        Op::FileChange(i, p, c) => {
            let project_id = pick(&state.projects, i, |_| true)?;
            let path = format!("src/f{}.rs", p % 4);
            let after = ContentHash::of(&[c]);
            let change_type = match state.file_at(project_id, &path).and_then(|f| f.content) {
                Some(before) if c % 5 == 0 => FileChangeType::Deleted { before },
                Some(before) => FileChangeType::Modified { before, after },
                None => FileChangeType::Created { after },
            };
            let run_id = pick(&state.runs, c, |_| true);
            Command::RecordFileChange { project_id, path, change_type, run_id }
        }
    })
}

/// After a tool-call step starts, its tool use starts too (as the agent does).
fn follow_up(state: &DomainState, events: &[DomainEvent]) -> Option<Command> {
    let DomainEvent::RunStepStarted {
        run_id,
        step_type: StepType::ToolCall { tool_use_id, tool_name, .. },
        ..
    } = events.first()?
    else {
        return None;
    };
    let thread = state.runs[run_id].thread_id;
    let message = pick(&state.messages, 0, |m: &Message| m.thread_id == thread && m.role == Role::Assistant)?;
    Some(Command::StartToolUse {
        tool_use_id: *tool_use_id,
        run_id: *run_id,
        message_id: message,
        tool_name: tool_name.clone(),
        input: json!({"path": "src/f0.rs", "content": "fn main() {}"}),
    })
}

/// Decides the ops in order and returns the state and the stored envelopes.
fn run_workload(ops: &[Op]) -> (DomainState, Vec<EventEnvelope>) {
    let mut state = DomainState::new();
    let mut envelopes: Vec<EventEnvelope> = Vec::new();
    let mut versions = std::collections::HashMap::new();
    let mut clock = 0i64;
    let mut pending: Vec<Command> = Vec::new();
    for op in ops {
        pending.extend(command(&state, op));
        while let Some(cmd) = pending.pop() {
            clock += 1;
            let at = now() + chrono::Duration::seconds(clock);
            let Ok(events) = decide(&state, &cmd, at) else { continue };
            for event in &events {
                let stream = state.stream_of(event).expect("decided events have a stream");
                let version = versions.entry(stream).or_insert(0u64);
                *version += 1;
                let mut new = NewEvent::new(event.clone());
                if matches!(cmd, Command::CompleteMessage { .. }) && clock % 2 == 0 {
                    new = new.interrupted();
                }
                envelopes.push(new.into_envelope(envelopes.len() as u64 + 1, stream, *version));
                state.apply(event);
            }
            pending.extend(follow_up(&state, &events));
        }
    }
    (state, envelopes)
}

/// Snapshot (serialized and read back) after `cut` events, plus the tail, equals full replay.
fn check_projection<P: Projection + Clone + PartialEq + Debug>(
    initial: P,
    envelopes: &[EventEnvelope],
    cut: usize,
) {
    let mut full = initial.clone();
    for e in envelopes {
        full.apply_envelope(e);
    }
    let mut head = initial;
    for e in &envelopes[..cut] {
        head.apply_envelope(e);
    }
    let snapshot = Snapshot::take(head, cut as u64, now());
    let json = serde_json::to_vec(&snapshot).expect("projections serialize");
    let snapshot: Snapshot<P> = serde_json::from_slice(&json).expect("and deserialize");
    let restored = Snapshot::restore_envelopes(snapshot, envelopes);
    assert_eq!(restored, full, "{}: snapshot at {cut} + tail differs from full replay", P::NAME);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn snapshot_plus_tail_equals_full_replay(ops in prop::collection::vec(op(), 1..160), cut in 0.0f64..=1.0) {
        let (state, envelopes) = run_workload(&ops);
        let cut = (envelopes.len() as f64 * cut) as usize;
        let mut threads: Vec<_> = state.threads.keys().copied().collect();
        threads.sort();
        for thread in threads {
            check_projection(ChatView::new(thread), &envelopes, cut);
        }
        check_projection(ThreadList::new(), &envelopes, cut);
        for run in state.runs.keys() {
            check_projection(RunView::new(*run), &envelopes, cut);
        }
        for project in state.projects.keys() {
            check_projection(ProjectFiles::new(*project), &envelopes, cut);
        }
        if let Some(first) = envelopes.first() {
            check_projection(CorrelationView::new(first.correlation_id), &envelopes, cut);
        }
        // The write model snapshots too.
        let json = serde_json::to_vec(&state).unwrap();
        prop_assert_eq!(serde_json::from_slice::<DomainState>(&json).unwrap(), state);
    }

    #[test]
    fn replaying_the_log_rebuilds_the_state(ops in prop::collection::vec(op(), 1..120)) {
        let (state, envelopes) = run_workload(&ops);
        let replayed = DomainState::replay(envelopes.iter().map(|e| &e.event));
        prop_assert_eq!(replayed, state);
    }

    #[test]
    fn apply_never_panics_on_shuffled_history(ops in prop::collection::vec(op(), 1..80), seed in any::<u64>()) {
        let (state, mut envelopes) = run_workload(&ops);
        shuffle(&mut envelopes, seed);
        apply_everywhere(&state, &envelopes);
    }

    #[test]
    fn apply_never_panics_on_arbitrary_events(raw in prop::collection::vec((0u8..20, any::<u8>(), any::<u8>(), any::<u8>()), 0..200)) {
        let pool = Pool::new();
        let envelopes: Vec<EventEnvelope> = raw
            .iter()
            .enumerate()
            .map(|(i, &(k, a, b, c))| {
                NewEvent::new(pool.event(k, a, b, c)).into_envelope(i as u64 + 1, StreamId::Thread(pool.threads[0]), 1)
            })
            .collect();
        let mut state = DomainState::new();
        for e in &envelopes {
            state.apply(&e.event);
        }
        apply_everywhere(&state, &envelopes);
        // And deciding anything against such a state does not panic either.
        for &(k, a, b, c) in raw.iter().take(40) {
            let Some(cmd) = command(&state, &[Op::Send(a, b), Op::Stream(a, b), Op::Decide(a, c % 2 == 0), Op::CancelRun(a), Op::CompleteStep(a, b), Op::FileChange(a, b, c)][k as usize % 6]) else { continue };
            let _ = decide(&state, &cmd, now());
        }
    }
}

fn shuffle<T>(items: &mut [T], mut seed: u64) {
    for i in (1..items.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        items.swap(i, (seed % (i as u64 + 1)) as usize);
    }
}

fn apply_everywhere(state: &DomainState, envelopes: &[EventEnvelope]) {
    let mut views: Vec<ChatView> = state.threads.keys().map(|t| ChatView::new(*t)).collect();
    let mut runs: Vec<RunView> = state.runs.keys().map(|r| RunView::new(*r)).collect();
    let mut files: Vec<ProjectFiles> = state.projects.keys().map(|p| ProjectFiles::new(*p)).collect();
    let mut list = ThreadList::new();
    let mut fresh = DomainState::new();
    for e in envelopes {
        fresh.apply(&e.event);
        list.apply(&e.event);
        for v in &mut views {
            v.apply_stored(e);
        }
        for v in &mut runs {
            v.apply(&e.event);
        }
        files.iter_mut().for_each(|v| v.apply_envelope(e));
        let _ = list.list(&ThreadFilter::default());
    }
    for v in &views {
        let _ = v.visible_entries(0, 50);
        assert!(v.entries.len() >= v.message_count.min(v.entries.len()));
    }
}

/// A few ids of each kind, so arbitrary events collide with each other.
struct Pool {
    threads: [ThreadId; 2],
    messages: [MessageId; 3],
    runs: [RunId; 2],
    steps: [StepId; 3],
    tools: [ToolUseId; 3],
    projects: [ProjectId; 2],
}

impl Pool {
    fn new() -> Self {
        Self {
            threads: [ThreadId::new(), ThreadId::new()],
            messages: [MessageId::new(), MessageId::new(), MessageId::new()],
            runs: [RunId::new(), RunId::new()],
            steps: [StepId::new(), StepId::new(), StepId::new()],
            tools: [ToolUseId::new(), ToolUseId::new(), ToolUseId::new()],
            projects: [ProjectId::new(), ProjectId::new()],
        }
    }

    fn event(&self, kind: u8, a: u8, b: u8, c: u8) -> DomainEvent {
        let t = self.threads[a as usize % 2];
        let m = self.messages[b as usize % 3];
        let r = self.runs[c as usize % 2];
        let s = self.steps[a as usize % 3];
        let tool = self.tools[b as usize % 3];
        let p = self.projects[c as usize % 2];
        let ts = now() + chrono::Duration::seconds(i64::from(a) + i64::from(b));
        let text = WORDS[c as usize % WORDS.len()].to_string();
        let h = ContentHash::of(&[a]);
        let role = [Role::User, Role::Assistant, Role::System][c as usize % 3];
        let gate = if c % 2 == 0 {
            ApprovalGate::NeedsApproval
        } else {
            ApprovalGate::PreApproved { policy: "p".into() }
        };
        let step_status = [
            StepStatus::Pending,
            StepStatus::Running,
            StepStatus::Success,
            StepStatus::Failed,
            StepStatus::Skipped,
        ][b as usize % 5];
        let run_status = [
            RunStatus::Queued,
            RunStatus::Running,
            RunStatus::WaitingForApproval,
            RunStatus::Success,
            RunStatus::Failed,
            RunStatus::Cancelled,
        ][b as usize % 6];
        let decision = (c % 3 != 0).then_some(ApprovalDecision {
            verdict: if c % 3 == 1 { Verdict::Approved } else { Verdict::Rejected },
            by: Approver::Person,
            reason: None,
        });
        match kind {
            0 => DomainEvent::ThreadCreated { thread_id: t, title: text, timestamp: ts, project_id: Some(p) },
            1 => DomainEvent::ThreadUpdated {
                thread_id: t,
                title: Some(text),
                archived: Some(b % 2 == 0),
                timestamp: ts,
                marked_read: c % 2 == 0,
            },
            2 => DomainEvent::MessageAdded {
                thread_id: t,
                message_id: m,
                content: if c % 2 == 0 { String::new() } else { text },
                role,
                tool_uses: SmallVec::new(),
                timestamp: ts,
            },
            3 => DomainEvent::MessageStreaming { thread_id: t, message_id: m, content: text, timestamp: ts },
            4 => DomainEvent::MessageComplete {
                thread_id: t,
                message_id: m,
                final_content: text,
                timestamp: ts,
            },
            5 => DomainEvent::MessageDeleted { thread_id: t, message_id: m, timestamp: ts },
            6 => DomainEvent::ToolUseStarted {
                tool_use_id: tool,
                run_id: r,
                message_id: m,
                tool_name: "x".into(),
                input: json!({"a": a}),
                timestamp: ts,
            },
            7 => DomainEvent::ToolUseProgress {
                tool_use_id: tool,
                progress: f32::from(c) / 100.0,
                status_message: text,
                timestamp: ts,
            },
            8 => DomainEvent::ToolUseComplete {
                tool_use_id: tool,
                result: ToolOutput::Text(text),
                duration_ms: a.into(),
                timestamp: ts,
            },
            9 => DomainEvent::ToolUseFailed { tool_use_id: tool, error: text, timestamp: ts },
            10 => DomainEvent::ToolUseCancelled { tool_use_id: tool, timestamp: ts },
            11 => DomainEvent::RunStarted { run_id: r, thread_id: t, agent_name: "a".into(), timestamp: ts },
            12 => DomainEvent::RunStepStarted {
                run_id: r,
                step_id: s,
                step_type: if b % 2 == 0 {
                    StepType::ModelCall
                } else {
                    StepType::ToolCall { tool_use_id: tool, tool_name: "w".into(), gate }
                },
                description: text,
                timestamp: ts,
            },
            13 => DomainEvent::RunStepUpdated {
                run_id: r,
                step_id: s,
                status: step_status,
                progress: Some(f32::from(c) / 300.0),
                timestamp: ts,
                decision,
            },
            14 => DomainEvent::RunStepComplete {
                run_id: r,
                step_id: s,
                result: if b % 2 == 0 { StepResult::Success } else { StepResult::Cancelled },
                timestamp: ts,
                cost: None,
            },
            15 => DomainEvent::RunArtifactAdded {
                run_id: r,
                artifact_id: text,
                artifact_type: ArtifactType::Text,
                data: vec![a, b, c],
                timestamp: ts,
            },
            16 => DomainEvent::RunFinished {
                run_id: r,
                status: run_status,
                cost: Cost::default(),
                duration_ms: 5,
                timestamp: ts,
            },
            17 => DomainEvent::ProjectCreated { project_id: p, name: text, path: "/p".into(), timestamp: ts },
            18 => DomainEvent::ProjectUpdated {
                project_id: p,
                changes: ProjectChanges { name: Some(text), ..Default::default() },
                timestamp: ts,
            },
            _ => DomainEvent::FileChanged {
                project_id: p,
                file_id: FileId::for_path(p, "f"),
                path: "f".into(),
                change_type: if b % 2 == 0 {
                    FileChangeType::Created { after: h }
                } else {
                    FileChangeType::Deleted { before: h }
                },
                timestamp: ts,
                run_id: Some(r),
            },
        }
    }
}

/// The generator reaches every kind of event, so the properties above cover all of them.
#[test]
fn random_workloads_reach_every_event_type() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let ops = prop::collection::vec(op(), 3000).new_tree(&mut runner).unwrap().current();
    let (_, envelopes) = run_workload(&ops);
    let mut seen: Vec<&str> = envelopes.iter().map(|e| e.event.type_name()).collect();
    seen.sort_unstable();
    seen.dedup();
    let mut all = EVENT_TYPES.to_vec();
    all.sort_unstable();
    assert_eq!(seen, all, "a long random workload produces every event type");
}
