//! The sidebar's threads: list, create, rename, archive, mark read.

use coder_domain::{Command, ProjectId, ThreadFilter, ThreadId, ThreadSummary};
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

#[tauri::command]
pub fn list_threads(
    state: State<'_, AppState>,
    archived: bool,
    query: String,
    project_id: Option<ProjectId>,
) -> Vec<ThreadSummary> {
    let query = (!query.trim().is_empty()).then(|| query.trim().to_owned());
    state.engine.threads(&ThreadFilter { archived, project_id, query })
}

#[tauri::command]
pub async fn create_thread(
    state: State<'_, AppState>,
    title: String,
    project_id: Option<ProjectId>,
) -> Result<ThreadId, IpcError> {
    let thread_id = ThreadId::new();
    state.engine.dispatch(Command::CreateThread { thread_id, title, project_id }).await?;
    Ok(thread_id)
}

#[tauri::command]
pub async fn rename_thread(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    title: String,
) -> Result<(), IpcError> {
    state.engine.dispatch(Command::RenameThread { thread_id, title }).await?;
    Ok(())
}

#[tauri::command]
pub async fn set_archived(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    archived: bool,
) -> Result<(), IpcError> {
    let command =
        if archived { Command::ArchiveThread { thread_id } } else { Command::UnarchiveThread { thread_id } };
    state.engine.dispatch(command).await?;
    Ok(())
}

#[tauri::command]
pub async fn mark_read(state: State<'_, AppState>, thread_id: ThreadId) -> Result<(), IpcError> {
    // Nothing unread: no event, so opening a thread does not grow the log.
    if state.engine.thread(thread_id).is_some_and(|t| t.unread_count == 0) {
        return Ok(());
    }
    state.engine.dispatch(Command::MarkThreadRead { thread_id }).await?;
    Ok(())
}
