//! What every tool shares: reading its JSON input and running file work off the async threads.

use serde::de::DeserializeOwned;

use super::ToolError;

/// `input` as the tool's input type; a mismatch becomes `InvalidInput` naming the tool and
/// what serde found wrong (a missing or unknown field, a wrong type).
pub(super) fn parse<T: DeserializeOwned>(tool: &str, input: serde_json::Value) -> Result<T, ToolError> {
    serde_json::from_value(input).map_err(|err| ToolError::InvalidInput(format!("{tool}: {err}")))
}

/// Runs blocking file-system work on Tokio's blocking pool.
pub(super) async fn blocking<T, F>(work: F) -> Result<T, ToolError>
where
    F: FnOnce() -> Result<T, ToolError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| ToolError::Io(format!("the tool's task failed: {err}")))?
}

/// Whether `bytes` look like text a model can read: valid UTF-8 without NUL bytes.
pub(super) fn is_text(bytes: &[u8]) -> bool {
    !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}
