//! The one error type that crosses the IPC boundary: a stable code the UI maps to words
//! (`ui/src/shared/errors.ts`), and the backend's own message as a fallback.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IpcError {
    pub code: &'static str,
    pub message: String,
}

impl From<coder_engine::DispatchError> for IpcError {
    fn from(e: coder_engine::DispatchError) -> Self {
        Self { code: e.code(), message: e.to_string() }
    }
}

impl From<coder_engine::QueryError> for IpcError {
    fn from(e: coder_engine::QueryError) -> Self {
        Self { code: e.code(), message: e.to_string() }
    }
}

impl From<coder_agent::AgentError> for IpcError {
    fn from(e: coder_agent::AgentError) -> Self {
        Self { code: e.code(), message: e.to_string() }
    }
}
