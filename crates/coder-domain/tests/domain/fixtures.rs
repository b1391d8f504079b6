//! The serialized form of events is a promise: `tests/fixtures/events_v1.json`, written by the
//! first schema version, holds one envelope of each of its twenty variants, and
//! `events_v2.json` one of each variant schema version 2 added; both must decode to the same
//! values in every later version. Never regenerate them; add a new fixture for a new version.

use std::collections::BTreeMap;

use coder_domain::*;
use serde_json::json;
use uuid::Uuid;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events_v1.json");
const FIXTURE_V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events_v2.json");

/// The variants each schema version added: version 1 the seed's twenty, version 2 two.
const V1_TYPES: usize = 20;

fn id<T: From<Uuid>>(n: u128) -> T {
    T::from(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n))
}

fn at(second: u32) -> DateTime<Utc> {
    format!("2026-03-04T05:06:{second:02}.123456Z").parse().unwrap()
}

/// One event of each variant, every optional field set, in declaration order.
pub fn sample_events() -> Vec<DomainEvent> {
    let (thread, message, run, step, tool, project) = (
        id::<ThreadId>(1),
        id::<MessageId>(2),
        id::<RunId>(3),
        id::<StepId>(4),
        id::<ToolUseId>(5),
        id::<ProjectId>(6),
    );
    let h1 = ContentHash::of(b"before");
    let h2 = ContentHash::of(b"after");
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
            input: json!({"path": "src/lib.rs", "lines": [1, 20]}),
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
            change_type: FileChangeType::Modified { before: h1, after: h2 },
            timestamp: at(19),
            run_id: Some(run),
        },
    ]
}

/// One event of each variant schema version 2 added, every field set, in declaration order.
pub fn sample_events_v2() -> Vec<DomainEvent> {
    let (thread, message, run) = (id::<ThreadId>(1), id::<MessageId>(2), id::<RunId>(3));
    vec![
        DomainEvent::MessageAttached {
            thread_id: thread,
            message_id: message,
            attachment: Attachment::Image {
                blob: ContentHash::of(b"png bytes"),
                mime_type: "image/png".into(),
                bytes: 9,
                name: "screenshot.png".into(),
            },
            timestamp: at(20),
        },
        DomainEvent::ThreadCompacted {
            thread_id: thread,
            through: message,
            summary: "The person asked why the parser fails; it was the quotes.".into(),
            replaced_tokens: 81_234,
            summary_tokens: 512,
            trigger: CompactionTrigger::Automatic { window_tokens: 128_000, threshold_percent: 80 },
            run_id: Some(run),
            timestamp: at(21),
        },
    ]
}

/// The v1 sample events in envelopes with every envelope field set.
pub fn sample_envelopes() -> Vec<EventEnvelope> {
    envelopes(sample_events(), 1)
}

/// The v2 sample events in envelopes, numbered on from the v1 ones.
pub fn sample_envelopes_v2() -> Vec<EventEnvelope> {
    envelopes(sample_events().into_iter().chain(sample_events_v2()).collect(), 2).split_off(V1_TYPES)
}

fn envelopes(events: Vec<DomainEvent>, schema_version: u32) -> Vec<EventEnvelope> {
    let correlation: Uuid = id(100);
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let n = i as u128 + 1;
            EventEnvelope {
                sequence: n as u64,
                event_id: id(1000 + n),
                stream: StreamId::Thread(id(1)),
                stream_version: n as u64,
                schema_version,
                event,
                causation_id: (i > 0).then(|| id(1000 + n - 1)),
                correlation_id: correlation,
                metadata: BTreeMap::from([("actor".to_string(), "person".to_string())]),
            }
        })
        .collect()
}

#[test]
fn the_v1_fixture_still_decodes_to_the_same_events() {
    let Ok(text) = std::fs::read_to_string(FIXTURE) else {
        let json = serde_json::to_string_pretty(&sample_envelopes()).unwrap();
        std::fs::write(FIXTURE, json + "\n").unwrap();
        panic!("{FIXTURE} was missing and has been written; review and commit it");
    };
    let decoded: Vec<EventEnvelope> = serde_json::from_str(&text).expect("every v1 event must keep decoding");
    assert_eq!(decoded, sample_envelopes(), "v1 data must read back as the same values");
    let types: Vec<&str> = decoded.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, EVENT_TYPES[..V1_TYPES], "the fixture holds one event of each v1 variant");
}

#[test]
fn the_v2_fixture_still_decodes_to_the_same_events() {
    let Ok(text) = std::fs::read_to_string(FIXTURE_V2) else {
        let json = serde_json::to_string_pretty(&sample_envelopes_v2()).unwrap();
        std::fs::write(FIXTURE_V2, json + "\n").unwrap();
        panic!("{FIXTURE_V2} was missing and has been written; review and commit it");
    };
    let decoded: Vec<EventEnvelope> = serde_json::from_str(&text).expect("every v2 event must keep decoding");
    assert_eq!(decoded, sample_envelopes_v2(), "v2 data must read back as the same values");
    let types: Vec<&str> = decoded.iter().map(|e| e.event.type_name()).collect();
    assert_eq!(types, EVENT_TYPES[V1_TYPES..], "the fixture holds one event of each variant v2 added");
    assert_eq!(SCHEMA_VERSION, 2, "a new schema version needs a fixture of its own");
}

#[test]
fn every_variant_round_trips_through_json() {
    for event in sample_events().into_iter().chain(sample_events_v2()) {
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], event.type_name(), "the tag names the variant");
        let back: DomainEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }
}

#[test]
fn bytes_are_base64_never_number_arrays() {
    let text = serde_json::to_string(&sample_events()).unwrap();
    assert!(text.contains("\"iVBORw==\""), "artifact data is base64: {text}");
    assert!(!text.contains("[137,80"), "no byte arrays");
}

#[test]
fn events_written_before_an_optional_field_existed_still_decode() {
    // As an event looked before `project_id`, `marked_read`, `decision`, `cost` and `run_id`.
    let old = json!([
        {"type": "ThreadCreated", "thread_id": id::<ThreadId>(1), "title": "t", "timestamp": at(0)},
        {"type": "ThreadUpdated", "thread_id": id::<ThreadId>(1), "title": null, "archived": true, "timestamp": at(0)},
        {"type": "RunStepUpdated", "run_id": id::<RunId>(3), "step_id": id::<StepId>(4), "status": "Running", "progress": null, "timestamp": at(0)},
        {"type": "RunStepComplete", "run_id": id::<RunId>(3), "step_id": id::<StepId>(4), "result": {"kind": "Success"}, "timestamp": at(0)},
        {"type": "FileChanged", "project_id": id::<ProjectId>(6), "file_id": id::<FileId>(7), "path": "a", "change_type": {"kind": "Created", "after": ContentHash::of(b"a")}, "timestamp": at(0)},
    ]);
    let events: Vec<DomainEvent> = serde_json::from_value(old).expect("optional fields default");
    assert!(matches!(events[0], DomainEvent::ThreadCreated { project_id: None, .. }));
    assert!(matches!(events[1], DomainEvent::ThreadUpdated { marked_read: false, .. }));
    assert!(matches!(events[2], DomainEvent::RunStepUpdated { decision: None, .. }));
    assert!(matches!(events[3], DomainEvent::RunStepComplete { cost: None, .. }));
    assert!(matches!(events[4], DomainEvent::FileChanged { run_id: None, .. }));
}

#[test]
fn unknown_event_types_are_an_error_not_a_panic() {
    let err = serde_json::from_value::<DomainEvent>(json!({"type": "FutureEvent", "x": 1})).unwrap_err();
    assert!(err.to_string().contains("FutureEvent"), "{err}");
}
