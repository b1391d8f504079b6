//! # coder-agent
//!
//! The agent runtime: model providers, sandboxed tools, and the run loop that turns a person's
//! message into a run — model calls streaming an assistant message, tool calls as steps that may
//! wait for approval, file changes recorded with their contents — all through the engine's one
//! write path.

mod agent;
pub mod attachments;
pub mod changes;
pub mod context;
pub mod conversation;
pub mod keys;
pub mod preview;
pub mod projects;
pub mod provider;
pub mod rules;
mod runner;
pub mod settings;
pub mod testing;
pub mod tools;
pub mod tree;
pub mod watcher;

pub use agent::{Agent, AgentError, LiveEvent};
pub use keys::{KeyError, KeyStatus, KeyedProvider};
pub use runner::META_REASON;
pub use settings::{Prices, ProviderKind, Settings, SettingsError};
pub use watcher::ProjectWatcher;
