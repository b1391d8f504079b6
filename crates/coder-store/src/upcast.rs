//! Upcasters: lift an event written by an older schema version to the current one.
//!
//! Each step takes the stored envelope, as a MessagePack value tree with the event under
//! `event`, from version `n` to `n + 1`; the chain then sets `schema_version`. Records are never
//! rewritten on disk: upcasting happens on every read of an old record. When `SCHEMA_VERSION` is
//! raised, add the step here and a fixture store written by the previous version under
//! `tests/fixtures`.
//!
//! - 1 → 2 (`v1_to_v2`): version 2 added the `MessageAttached` and `ThreadCompacted` variants and
//!   changed none, so a version-1 event reads unchanged. The version was raised all the same so
//!   that a Coder that knows only version 1 refuses a log holding the new variants with a clear
//!   message, instead of failing on the first event it cannot decode.

use rmpv::Value;

use crate::codec::DecodeError;

/// One upcasting step: version `n` → `n + 1`.
pub type Step = fn(Value) -> Value;

/// The steps from the first schema version on: `steps[i]` lifts version `i + 1` to `i + 2`.
pub struct Upcasters {
    steps: Vec<Step>,
}

impl Upcasters {
    /// The chain of this build.
    pub fn current() -> Self {
        Self { steps: vec![v1_to_v2] }
    }

    /// A chain of explicit steps (tests use this to exercise the mechanism).
    pub fn with_steps(steps: Vec<Step>) -> Self {
        Self { steps }
    }

    /// Applies the steps from `from` to `to`.
    pub fn upcast(&self, from: u32, to: u32, mut value: Value) -> Result<Value, DecodeError> {
        for version in from..to {
            let step = version
                .checked_sub(1)
                .and_then(|i| self.steps.get(i as usize))
                .ok_or(DecodeError::NoUpcaster(version))?;
            value = step(value);
            set_field(&mut value, "schema_version", Value::from(version + 1));
        }
        Ok(value)
    }
}

/// Version 2 only added variants: a version-1 event is a version-2 event as it is.
fn v1_to_v2(value: Value) -> Value {
    value
}

/// Sets (or adds) a field of a map value; does nothing to a value that is not a map.
pub fn set_field(map: &mut Value, key: &str, new: Value) {
    let Value::Map(entries) = map else { return };
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some((_, v)) => *v = new,
        None => entries.push((Value::from(key), new)),
    }
}

/// A field of a map value.
pub fn field_mut<'a>(map: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    let Value::Map(entries) = map else { return None };
    entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v)
}
