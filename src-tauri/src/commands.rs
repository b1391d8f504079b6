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

/// A window of a thread's chat: entries `start..start + count`, the total, and the message being
/// streamed with its text so far.
#[derive(serde::Serialize)]
pub struct ChatPage {
    pub total: usize,
    pub start: usize,
    pub entries: Vec<coder_domain::ChatEntry>,
    pub streaming: Option<(coder_domain::MessageId, String)>,
}

#[tauri::command]
pub fn chat_page(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    start: usize,
    count: usize,
) -> Result<ChatPage, IpcError> {
    Ok(state.engine.with_chat(thread_id, |view| ChatPage {
        total: view.entries.len(),
        start,
        entries: view.visible_entries(start, count).to_vec(),
        streaming: view.streaming_message.clone(),
    })?)
}

#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    text: String,
) -> Result<coder_domain::RunId, IpcError> {
    Ok(state.agent.send_message(thread_id, &text).await?)
}

#[tauri::command]
pub async fn mark_read(state: State<'_, AppState>, thread_id: ThreadId) -> Result<(), IpcError> {
    state.engine.dispatch(Command::MarkThreadRead { thread_id }).await?;
    Ok(())
}
