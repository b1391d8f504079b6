//! The event record: `[kind][schema version LE][MessagePack map]`, old records without later
//! optional fields, records from newer versions, and the upcaster chain.

use coder_domain::*;
use coder_store::codec::{self, DecodeError};
use coder_store::upcast::{field_mut, Upcasters};
use rmpv::Value;

use crate::fixture;

/// The sample events in envelopes, as a store would hold them.
fn sample_envelopes() -> Vec<EventEnvelope> {
    fixture::sample_new_events()
        .into_iter()
        .enumerate()
        .map(|(i, event)| event.into_envelope(i as u64 + 1, fixture::stream_of(i), i as u64 + 1))
        .collect()
}

/// The record's MessagePack body as a value tree.
fn body(record: &[u8]) -> Value {
    rmpv::decode::read_value(&mut &record[5..]).expect("the body is MessagePack")
}

/// A record of `schema` holding `body`.
fn record(schema: u32, body: &Value) -> Vec<u8> {
    let mut out = vec![1];
    out.extend_from_slice(&schema.to_le_bytes());
    rmpv::encode::write_value(&mut out, body).expect("a value tree encodes");
    out
}

fn remove_field(map: &mut Value, key: &str) {
    let Value::Map(entries) = map else { panic!("expected a map, found {map}") };
    let before = entries.len();
    entries.retain(|(k, _)| k.as_str() != Some(key));
    assert_eq!(entries.len(), before - 1, "the record had `{key}` to remove");
}

#[test]
fn the_record_header_is_the_kind_and_the_schema_version() {
    let envelope = &sample_envelopes()[0];
    let record = codec::encode(envelope).expect("an envelope encodes");
    assert_eq!(record[0], 1, "kind 1 is a MessagePack record");
    assert_eq!(record[1..5], SCHEMA_VERSION.to_le_bytes(), "the schema version follows, little-endian");
    assert_eq!(codec::schema_version(&record), Ok(SCHEMA_VERSION));
    let Value::Map(fields) = body(&record) else { panic!("the body is a map") };
    let names: Vec<&str> = fields.iter().filter_map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"event_id") && names.contains(&"event"), "fields are stored by name: {names:?}");
}

#[test]
fn every_variant_round_trips_through_the_record() {
    for envelope in sample_envelopes() {
        let record = codec::encode(&envelope).expect("an envelope encodes");
        assert_eq!(
            codec::decode(&record),
            Ok(envelope.clone()),
            "{} decodes to what was encoded",
            envelope.event.type_name()
        );
    }
}

#[test]
fn a_record_without_an_optional_field_added_later_still_decodes() {
    let envelopes = sample_envelopes();
    // (variant index, field added after the first events were written)
    for (index, field) in
        [(0, "project_id"), (1, "marked_read"), (13, "decision"), (14, "cost"), (19, "run_id")]
    {
        let envelope = &envelopes[index];
        let mut value = body(&codec::encode(envelope).unwrap());
        remove_field(field_mut(&mut value, "event").expect("the envelope has an event"), field);
        let decoded = codec::decode(&record(SCHEMA_VERSION, &value))
            .unwrap_or_else(|e| panic!("{} without `{field}` must decode: {e}", envelope.event.type_name()));
        let missing = match decoded.event {
            DomainEvent::ThreadCreated { project_id, .. } => project_id.is_none(),
            DomainEvent::ThreadUpdated { marked_read, .. } => !marked_read,
            DomainEvent::RunStepUpdated { decision, .. } => decision.is_none(),
            DomainEvent::RunStepComplete { cost, .. } => cost.is_none(),
            DomainEvent::FileChanged { run_id, .. } => run_id.is_none(),
            other => panic!("unexpected variant {other:?}"),
        };
        assert!(missing, "`{field}` takes its default when absent");
        assert_eq!(
            (decoded.sequence, decoded.event_id),
            (envelope.sequence, envelope.event_id),
            "the rest decodes unchanged"
        );
    }
    let mut value = body(&codec::encode(&envelopes[0]).unwrap());
    remove_field(&mut value, "metadata");
    let decoded =
        codec::decode(&record(SCHEMA_VERSION, &value)).expect("an envelope without metadata decodes");
    assert!(decoded.metadata.is_empty(), "metadata defaults to empty");
}

#[test]
fn a_record_from_a_newer_schema_is_refused_with_a_clear_error() {
    let envelope = &sample_envelopes()[0];
    let newer = record(SCHEMA_VERSION + 1, &body(&codec::encode(envelope).unwrap()));
    let error = codec::decode(&newer).expect_err("this build cannot know what a newer schema means");
    assert_eq!(error, DecodeError::NewerSchema { found: SCHEMA_VERSION + 1, supported: SCHEMA_VERSION });
    assert!(error.to_string().contains("newer"), "the message says why: {error}");
}

#[test]
fn malformed_records_are_errors_not_panics() {
    assert_eq!(codec::decode(&[1, 1, 0]), Err(DecodeError::Truncated));
    assert_eq!(codec::decode(&[9, 1, 0, 0, 0, 0x80]), Err(DecodeError::UnknownKind(9)));
    assert!(matches!(codec::decode(&[1, 1, 0, 0, 0, 0xc1]), Err(DecodeError::Malformed(_))));
    assert!(matches!(
        codec::decode(&record(SCHEMA_VERSION, &Value::from("not an envelope"))),
        Err(DecodeError::Malformed(_))
    ));
}

/// A step from schema 1 to 2 of a made-up history: version 1 called a thread's title `name`.
fn rename_name_to_title(mut envelope: Value) -> Value {
    if let Some(Value::Map(fields)) = field_mut(&mut envelope, "event") {
        for (key, _) in fields.iter_mut() {
            if key.as_str() == Some("name") {
                *key = Value::from("title");
            }
        }
    }
    envelope
}

#[test]
fn an_upcaster_step_lifts_an_old_record_to_the_current_shape() {
    let envelope = &sample_envelopes()[0];
    let mut value = body(&codec::encode(envelope).unwrap());
    let Some(Value::Map(fields)) = field_mut(&mut value, "event") else { panic!("the event is a map") };
    for (key, _) in fields.iter_mut() {
        if key.as_str() == Some("title") {
            *key = Value::from("name");
        }
    }
    let old = record(1, &value);
    assert!(
        matches!(codec::decode_with(&old, &Upcasters::current(), 1), Err(DecodeError::Malformed(_))),
        "without the step the old shape does not decode"
    );
    let lifted = codec::decode_with(&old, &Upcasters::with_steps(vec![rename_name_to_title]), 2)
        .expect("the step lifts version 1 to 2");
    assert_eq!(lifted.event, envelope.event, "the renamed field is back under its current name");
    assert_eq!(lifted.schema_version, 2, "an upcast envelope carries the version it was lifted to");
    assert_eq!(
        codec::decode_with(&old, &Upcasters::with_steps(vec![rename_name_to_title]), 3),
        Err(DecodeError::NoUpcaster(2)),
        "a missing step is an error, not a guess"
    );
}

#[test]
fn every_variant_decodes_through_the_upcasting_path() {
    // The upcasting path decodes from a value tree, not from bytes; it must read every variant.
    let identity: coder_store::upcast::Step = |value| value;
    for envelope in sample_envelopes() {
        let old = record(1, &body(&codec::encode(&envelope).unwrap()));
        let lifted = codec::decode_with(&old, &Upcasters::with_steps(vec![identity]), 2)
            .unwrap_or_else(|e| panic!("{} decodes after upcasting: {e}", envelope.event.type_name()));
        assert_eq!(
            lifted,
            EventEnvelope { schema_version: 2, ..envelope },
            "only the schema version changes"
        );
    }
}
