//! Tools the agent can use, all confined to the project root.
//!
//! Every path a tool receives is relative to the project root; `..`, absolute paths and
//! symlinks that lead outside the root are refused with `ToolError::OutsideProject` before
//! anything is read or written. Tools that write return the content before and after, so the
//! run loop can record each change with its blobs; both are capped, so a change fits in memory.
//! Commands run without the secrets in Coder's environment (see `env`).

use std::path::PathBuf;

use coder_domain::ToolOutput;
use futures_util::future::BoxFuture;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::provider::ToolSpec;

mod edit_file;
pub mod env;
mod list_files;
pub mod paths;
mod read_file;
mod registry;
mod run_command;
mod search;
mod support;
mod update_plan;
pub(crate) mod walk;
mod write_file;

pub use edit_file::{EditFile, EDIT_LIMIT};
pub use list_files::{ListFiles, DEFAULT_MAX_ENTRIES, MAX_ENTRIES};
pub use read_file::{ReadFile, READ_LIMIT};
pub use registry::ToolSet;
pub use run_command::{
    RunCommand, DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, OUTPUT_LIMIT, PROGRESS_CHUNK_LIMIT,
    PROGRESS_INTERVAL, STDERR_PREFIX,
};
pub use search::{Search, DEFAULT_MAX_RESULTS, FILE_LIMIT as SEARCH_FILE_LIMIT, MAX_RESULTS};
pub use update_plan::UpdatePlan;
pub use write_file::{WriteFile, WRITE_LIMIT};

/// What a tool may do, which decides whether it needs approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolKind {
    /// Only reads the project: runs at once.
    Read,
    /// Writes files: waits for approval unless the project always allows it.
    Write,
    /// Runs a command: waits for approval unless the project always allows it.
    Command,
}

/// A progress report while a tool runs (a piece of a command's output, say). Progress is a live
/// preview: a tool may merge or drop reports when nobody keeps up, so the tool's result, not
/// the sum of its progress, is what counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolProgress {
    /// 0.0–1.0 when known.
    pub fraction: Option<f32>,
    pub message: String,
}

/// How many progress reports may wait unread before a tool starts merging or dropping them.
/// With `PROGRESS_CHUNK_LIMIT` per report this bounds what a slow reader can make pile up.
pub const PROGRESS_CAPACITY: usize = 32;

/// The channel a `ToolContext` reports progress on, bounded by `PROGRESS_CAPACITY`.
pub fn progress_channel() -> (mpsc::Sender<ToolProgress>, mpsc::Receiver<ToolProgress>) {
    mpsc::channel(PROGRESS_CAPACITY)
}

/// What a tool runs with.
#[derive(Debug, Clone)]
pub struct ToolContext {
    /// The project root, canonicalized.
    pub root: PathBuf,
    /// Cancelled when the person cancels the tool use or its run.
    pub cancel: CancellationToken,
    /// Where progress goes (made by `progress_channel`). Tools never wait for room on it.
    pub progress: mpsc::Sender<ToolProgress>,
    /// Environment variables a command sees although `env` would withhold them as secrets.
    pub env_allow: Vec<String>,
}

/// A file a tool wrote: path relative to the root, content before (`None`: it did not exist) and
/// after (`None`: it was deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileWrite {
    pub path: String,
    pub before: Option<Vec<u8>>,
    pub after: Option<Vec<u8>>,
}

/// What a tool produced.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    pub output: ToolOutput,
    pub writes: Vec<FileWrite>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    #[error("{0} is outside the project")]
    OutsideProject(String),
    #[error("{0} does not exist")]
    NotFound(String),
    #[error("invalid input: {0}")]
    InvalidInput(String),
    #[error("cannot use the path {path:?}: {problem}")]
    InvalidPath { path: String, problem: paths::PathProblem },
    #[error("the text to replace was not found in {0}")]
    SnippetNotFound(String),
    #[error("the text to replace occurs {count} times in {path}; give more context")]
    SnippetAmbiguous { path: String, count: usize },
    #[error("{path} is {size} bytes, over the limit of {limit}")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("the command did not finish within {seconds} s and was stopped")]
    Timeout { seconds: u64 },
    #[error("cancelled")]
    Cancelled,
    #[error("{0}")]
    Io(String),
}

/// One tool.
pub trait Tool: Send + Sync {
    fn name(&self) -> &'static str;
    fn kind(&self) -> ToolKind;
    /// Name, description and input schema, as offered to the model.
    fn spec(&self) -> ToolSpec;
    fn run<'a>(
        &'a self,
        input: serde_json::Value,
        ctx: &'a ToolContext,
    ) -> BoxFuture<'a, Result<ToolResult, ToolError>>;
}
