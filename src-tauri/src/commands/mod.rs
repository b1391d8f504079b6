//! The commands the UI calls. Each is a few lines over the engine or the agent; failures cross
//! the boundary as `IpcError { code, message }`.

pub mod app;
pub mod chat;
pub mod files;
pub mod projects;
pub mod runs;
pub mod settings;
pub mod threads;
pub mod timeline;
