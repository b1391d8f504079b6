//! The commands the UI calls. Each is a few lines over the engine or the agent; failures cross
//! the boundary as `IpcError { code, message }`.
//!
//! Invariant: a command that reads or writes the disk (the store, the project, the settings) is
//! `async` and does that work in `blocking`, so neither the main thread — which draws the window
//! — nor an async worker waits on a disk, a slow diff or a file that never answers.

pub mod app;
pub mod chat;
pub mod files;
pub mod projects;
pub mod rules;
pub mod runs;
pub mod settings;
pub mod threads;
pub mod timeline;

use crate::error::IpcError;

/// Runs `work` on the blocking pool and waits for it without blocking the caller's thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IpcError> + Send + 'static,
) -> Result<T, IpcError> {
    tauri::async_runtime::spawn_blocking(work).await.map_err(IpcError::internal)?
}
