//! Upcasters: lift an event written by an older schema version to the current one.
//!
//! Each step takes the stored envelope, as a MessagePack value tree with the event under
//! `event`, from version `n` to `n + 1`; the chain then sets `schema_version`. Records are never
//! rewritten on disk: upcasting happens on every read of an old record. Schema version 1 is the
//! first and no steps exist yet. When `SCHEMA_VERSION` is raised, add the step here and a fixture
//! store written by the previous version under `tests/fixtures`.

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
        Self { steps: Vec::new() }
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
