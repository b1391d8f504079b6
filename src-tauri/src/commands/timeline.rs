//! The timeline of a thread.

use coder_domain::ThreadId;
use coder_engine::TimelineEntry;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

#[tauri::command]
pub async fn thread_timeline(
    state: State<'_, AppState>,
    thread_id: ThreadId,
) -> Result<Vec<TimelineEntry>, IpcError> {
    let engine = state.engine.clone();
    Ok(tauri::async_runtime::spawn_blocking(move || coder_engine::timeline::timeline(&engine, thread_id))
        .await
        .map_err(IpcError::internal)??)
}
