//! `BenchError`: why a benchmark run stopped. Every phase cleans up after itself only on
//! success; a failed run may leave its files in `work_dir` for a look.

use coder_engine::{DispatchError, EngineError, QueryError};
use coder_store::{AppendError, OpenError, ReadError, StoreError};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BenchError {
    #[error("invalid options: {0}")]
    Options(String),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("the SQLite baseline cannot be set up: {0}")]
    Baseline(String),
    #[error("the SQLite baseline failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("JSON of the SQLite baseline: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot encode an event: {0}")]
    Encode(String),
    #[error("cannot inspect the store file: {0}")]
    Inspect(String),
    #[error("the cold-start child: {0}")]
    ColdStart(String),
}

impl BenchError {
    /// An I/O failure, saying what was being done.
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

impl From<OpenError> for BenchError {
    fn from(e: OpenError) -> Self {
        Self::Store(e.into())
    }
}

impl From<AppendError> for BenchError {
    fn from(e: AppendError) -> Self {
        Self::Store(e.into())
    }
}

impl From<ReadError> for BenchError {
    fn from(e: ReadError) -> Self {
        Self::Store(e.into())
    }
}
