//! # coder-engine
//!
//! The application service both the desktop app and the `coder` CLI use. One write path:
//! `Engine::dispatch(Command)` decides against the write model, appends with the stream's
//! expected version, and returns once the events are durable and applied. One applier thread
//! follows the log and keeps the projections in memory — the write model, the thread list and a
//! bounded cache of chat views — telling subscribers what changed. Chat views load from their
//! newest snapshot plus the thread's tail, and can be rebuilt at any past sequence. At start-up,
//! what a crash left unfinished is completed (see `recovery`).

mod applier;
mod changes;
mod chats;
mod cursor;
mod data_dir;
mod engine;
mod error;
pub mod recovery;
mod runs;
mod snapshot_codec;
pub mod timeline;
mod write_model;

pub use changes::ViewChange;
pub use data_dir::{default_data_dir, DATA_DIR_ENV};
pub use engine::{DispatchContext, Engine, EngineConfig};
pub use error::{DispatchError, EngineError, QueryError};
pub use timeline::TimelineEntry;
pub use write_model::WriteModel;
