//! Entities and their lifecycles.
//!
//! Each entity changes only through methods that check the transition; an illegal one returns
//! `TransitionError` and leaves the entity as it was. `DomainState` folds events into these
//! entities, and `decide` asks them whether a command is allowed.

mod file;
mod message;
mod project;
mod run;
mod thread;
mod tool_use;

pub use file::File;
pub use message::Message;
pub use project::Project;
pub use run::{Run, StepRun};
pub use thread::{title_from, Thread, DEFAULT_TITLE};
pub use tool_use::ToolUse;

/// A lifecycle transition that the entity's state does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{entity} {id} cannot go from {from} to {to}")]
pub struct TransitionError {
    pub entity: &'static str,
    pub id: String,
    pub from: String,
    pub to: String,
}

impl TransitionError {
    pub(crate) fn new(
        entity: &'static str,
        id: impl ToString,
        from: impl std::fmt::Debug,
        to: impl std::fmt::Debug,
    ) -> Self {
        Self { entity, id: id.to_string(), from: format!("{from:?}"), to: format!("{to:?}") }
    }
}
