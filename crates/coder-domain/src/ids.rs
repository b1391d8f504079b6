//! Typed entity ids.
//!
//! Every id is a UUID in a newtype, so a `ThreadId` can never be passed where a `RunId` is meant.
//! New ids are version 7 (time-ordered): ids created close together sort close together, which
//! keeps the store's indexes local. Serialized as the canonical hyphenated string in text formats
//! (JSON) and as 16 bytes in binary formats.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Hash, Eq, PartialEq, Ord, PartialOrd, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        #[serde(transparent)]
        pub struct $name(Uuid);

        #[allow(clippy::new_without_default)] // a new id is never a "default" value
        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            /// Parses the hyphenated (or simple) textual form of a UUID.
            pub fn parse(s: &str) -> Result<Self, uuid::Error> {
                Ok(Self(Uuid::parse_str(s)?))
            }

            /// Wraps an existing UUID, for ids read from storage or derived deterministically.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside the id.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

define_id!(
    /// A conversation thread.
    ThreadId
);
define_id!(
    /// A chat message.
    MessageId
);
define_id!(
    /// One execution of an agent, started by a person's message.
    RunId
);
define_id!(
    /// One step of a run: a model call or a tool call.
    StepId
);
define_id!(
    /// One invocation of a tool.
    ToolUseId
);
define_id!(
    /// A project: a folder on disk the agent works in.
    ProjectId
);
define_id!(
    /// A file inside a project.
    FileId
);

impl FileId {
    /// The id of the file at `path` inside `project`: the same path always gets the same id, so
    /// deciding a file change needs no id generator and replays identically.
    pub fn for_path(project: ProjectId, path: &str) -> Self {
        Self(Uuid::new_v5(project.as_uuid(), path.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        let id = ThreadId::new();
        assert_eq!(ThreadId::parse(&id.to_string()).unwrap(), id);
        assert_eq!(id.to_string().parse::<ThreadId>().unwrap(), id);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""), "ids serialize as a plain string");
        assert_eq!(serde_json::from_str::<ThreadId>(&json).unwrap(), id);
    }

    #[test]
    fn new_ids_are_time_ordered() {
        let a = RunId::new();
        let b = RunId::new();
        assert!(a < b, "v7 ids created later sort later");
        assert_eq!(a.as_uuid().get_version_num(), 7);
    }

    #[test]
    fn bad_text_is_an_error() {
        assert!(MessageId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn file_ids_are_derived_from_project_and_path() {
        let project = ProjectId::new();
        assert_eq!(FileId::for_path(project, "src/main.rs"), FileId::for_path(project, "src/main.rs"));
        assert_ne!(FileId::for_path(project, "src/main.rs"), FileId::for_path(project, "src/lib.rs"));
        assert_ne!(FileId::for_path(project, "a"), FileId::for_path(ProjectId::new(), "a"));
    }
}
