//! What every tool shares: reading its JSON input, running file work off the async threads, and
//! reading files with a cap.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::paths::io_error;
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

/// The whole content of the file at `real` (named `path` to the model), refused with `TooLarge`
/// when it holds more than `limit` bytes. Reads at most `limit + 1` bytes, so a file that grew
/// after its size was checked costs no more memory than the limit.
pub(super) fn read_capped(real: &Path, path: &str, limit: u64) -> Result<Vec<u8>, ToolError> {
    let file = File::open(real).map_err(|err| io_error(path, &err))?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|err| io_error(path, &err))?;
    if bytes.len() as u64 > limit {
        let size = std::fs::metadata(real).map_or(bytes.len() as u64, |meta| meta.len());
        return Err(ToolError::TooLarge { path: path.to_owned(), size, limit });
    }
    Ok(bytes)
}
