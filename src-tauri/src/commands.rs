//! The commands the UI calls. Each is a few lines over the engine or the agent.

use coder_domain::{Command, ThreadFilter, ThreadId, ThreadSummary};
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

#[tauri::command]
pub fn provider_label(state: State<'_, AppState>) -> String {
    state.agent.provider_label()
}

#[tauri::command]
pub fn list_threads(state: State<'_, AppState>, archived: bool, query: String) -> Vec<ThreadSummary> {
    let query = (!query.trim().is_empty()).then_some(query);
    state.engine.threads(&ThreadFilter { archived, project_id: None, query })
}

#[tauri::command]
pub async fn create_thread(state: State<'_, AppState>, title: String) -> Result<ThreadId, IpcError> {
    let thread_id = ThreadId::new();
    state.engine.dispatch(Command::CreateThread { thread_id, title, project_id: None }).await?;
    Ok(thread_id)
}
