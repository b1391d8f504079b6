//! A deterministic log: one event of each of the twenty variants (the shape of coder-domain's
//! `events_v1.json`), with fixed ids and timestamps, spread over a thread, a run and a project
//! stream, a file change with its two blobs, and one snapshot. The checked-in
//! `tests/fixtures/store_v1.redb` and `store_v2.redb`, with their exports, were written from it
//! by format versions 1 and 2; the compatibility tests compare against those files, never against
//! this code, and they are never regenerated.

use std::collections::BTreeMap;

use coder_domain::*;
use coder_store::{AppendRequest, EventStore, ExpectedVersion, SnapshotWrite};
use serde_json::json;
use uuid::Uuid;

pub fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n))
}

fn at(second: u32) -> DateTime<Utc> {
    format!("2026-03-04T05:06:{second:02}.123456Z").parse().expect("a valid timestamp")
}

pub fn thread() -> ThreadId {
    id(1)
}

pub fn run() -> RunId {
    id(3)
}

pub fn project() -> ProjectId {
    id(6)
}

pub fn correlation() -> Uuid {
    id(100)
}

/// The contents the sample's `FileChanged` refers to.
pub const BEFORE: &[u8] = b"before";
pub const AFTER: &[u8] = b"after";

/// The snapshot stored with the sample (its bytes are opaque to the store).
pub fn sample_snapshot() -> SnapshotWrite {
    SnapshotWrite {
        projection: "chat_view".into(),
        key: thread().as_uuid().as_bytes().to_vec(),
        sequence: 6,
        version: 1,
        bytes: b"{\"opaque\":\"snapshot bytes\"}".to_vec(),
    }
}

/// One event of each variant, every optional field set, in declaration order.
pub fn sample_events() -> Vec<DomainEvent> {
    let (thread, message, run, step, tool, project) =
        (thread(), id::<MessageId>(2), run(), id::<StepId>(4), id::<ToolUseId>(5), project());
    let cost = Cost { input_tokens: 1200, output_tokens: 345, total_tokens: 1545, usd_cents: 2 };
    vec![
        DomainEvent::ThreadCreated {
            thread_id: thread,
            title: "Fix the parser".into(),
            timestamp: at(0),
            project_id: Some(project),
        },
        DomainEvent::ThreadUpdated {
            thread_id: thread,
            title: Some("Fix the lexer".into()),
            archived: Some(false),
            timestamp: at(1),
            marked_read: true,
        },
        DomainEvent::MessageAdded {
            thread_id: thread,
            message_id: message,
            content: "Why does it fail? ünïcødé 🦀".into(),
            role: Role::User,
            tool_uses: SmallVec::from_slice(&[tool]),
            timestamp: at(2),
        },
        DomainEvent::MessageStreaming {
            thread_id: thread,
            message_id: message,
            content: "Because".into(),
            timestamp: at(3),
        },
        DomainEvent::MessageComplete {
            thread_id: thread,
            message_id: message,
            final_content: "Because of `\"quotes\"`.\n".into(),
            timestamp: at(4),
        },
        DomainEvent::MessageDeleted { thread_id: thread, message_id: message, timestamp: at(5) },
        DomainEvent::ToolUseStarted {
            tool_use_id: tool,
            run_id: run,
            message_id: message,
            tool_name: "read_file".into(),
            input: json!({"path": "src/lib.rs", "lines": [1, 20], "negative": -3, "ratio": 0.25}),
            timestamp: at(6),
        },
        DomainEvent::ToolUseProgress {
            tool_use_id: tool,
            progress: 0.5,
            status_message: "reading".into(),
            timestamp: at(7),
        },
        DomainEvent::ToolUseComplete {
            tool_use_id: tool,
            result: ToolOutput::Binary(vec![0, 159, 146, 150, 255]),
            duration_ms: 12,
            timestamp: at(8),
        },
        DomainEvent::ToolUseFailed { tool_use_id: tool, error: "permission denied".into(), timestamp: at(9) },
        DomainEvent::ToolUseCancelled { tool_use_id: tool, timestamp: at(10) },
        DomainEvent::RunStarted {
            run_id: run,
            thread_id: thread,
            agent_name: "coder".into(),
            timestamp: at(11),
        },
        DomainEvent::RunStepStarted {
            run_id: run,
            step_id: step,
            step_type: StepType::ToolCall {
                tool_use_id: tool,
                tool_name: "write_file".into(),
                gate: ApprovalGate::NeedsApproval,
            },
            description: "Write src/lib.rs".into(),
            timestamp: at(12),
        },
        DomainEvent::RunStepUpdated {
            run_id: run,
            step_id: step,
            status: StepStatus::Running,
            progress: Some(0.25),
            timestamp: at(13),
            decision: Some(ApprovalDecision {
                verdict: Verdict::Approved,
                by: Approver::Policy { rule: "always allow write_file".into() },
                reason: Some("trusted".into()),
            }),
        },
        DomainEvent::RunStepComplete {
            run_id: run,
            step_id: step,
            result: StepResult::Failed { error: "disk full".into() },
            timestamp: at(14),
            cost: Some(cost),
        },
        DomainEvent::RunArtifactAdded {
            run_id: run,
            artifact_id: "plan.md".into(),
            artifact_type: ArtifactType::Image { mime_type: "image/png".into() },
            data: vec![137, 80, 78, 71],
            timestamp: at(15),
        },
        DomainEvent::RunFinished {
            run_id: run,
            status: RunStatus::Success,
            cost,
            duration_ms: 4321,
            timestamp: at(16),
        },
        DomainEvent::ProjectCreated {
            project_id: project,
            name: "coder".into(),
            path: "/home/me/coder".into(),
            timestamp: at(17),
        },
        DomainEvent::ProjectUpdated {
            project_id: project,
            changes: ProjectChanges {
                name: Some("Coder".into()),
                path: Some("/srv/coder".into()),
                tool_approvals: BTreeMap::from([
                    ("run_command".into(), ToolApproval::AlwaysAllow),
                    ("write_file".into(), ToolApproval::Ask),
                ]),
                rules: None,
            },
            timestamp: at(18),
        },
        DomainEvent::FileChanged {
            project_id: project,
            file_id: FileId::for_path(project, "src/lib.rs"),
            path: "src/lib.rs".into(),
            change_type: FileChangeType::Modified {
                before: ContentHash::of(BEFORE),
                after: ContentHash::of(AFTER),
            },
            timestamp: at(19),
            run_id: Some(run),
        },
    ]
}

/// The stream each sample event belongs to: thread events to the thread, tool-use and run events
/// to the run, project events to the project.
pub fn stream_of(index: usize) -> StreamId {
    match index {
        0..=5 => StreamId::Thread(thread()),
        6..=16 => StreamId::Run(run()),
        _ => StreamId::Project(project()),
    }
}

/// The sample as new events: fixed ids, one correlation, each caused by the one before.
pub fn sample_new_events() -> Vec<NewEvent> {
    sample_events()
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let n = i as u128 + 1;
            NewEvent {
                event_id: id(1000 + n),
                event,
                causation_id: (i > 0).then(|| id(1000 + n - 1)),
                correlation_id: correlation(),
                metadata: BTreeMap::from([("actor".to_string(), "person".to_string())]),
            }
        })
        .collect()
}

/// Appends the sample one event at a time, each at the exact version its stream must be at, the
/// file change with its contents; then saves the sample snapshot. Returns the stored envelopes.
pub fn write_sample(store: &EventStore) -> Vec<EventEnvelope> {
    let mut versions: BTreeMap<StreamId, u64> = BTreeMap::new();
    let mut stored = Vec::new();
    for (i, event) in sample_new_events().into_iter().enumerate() {
        let stream = stream_of(i);
        let version = versions.entry(stream).or_insert(0);
        let blobs = if matches!(event.event, DomainEvent::FileChanged { .. }) {
            vec![BEFORE.to_vec(), AFTER.to_vec()]
        } else {
            Vec::new()
        };
        let request =
            AppendRequest::new(stream, ExpectedVersion::Exact(*version), vec![event]).with_blobs(blobs);
        let envelopes = store.append_blocking(request).expect("the sample appends");
        *version += 1;
        stored.extend(envelopes);
    }
    store.save_snapshot_blocking(sample_snapshot()).expect("the sample snapshot saves");
    stored
}
