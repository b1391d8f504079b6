//! The app around the chat: opening the log, links in the system browser, and the thread that
//! was open when the app closed.

use coder_domain::ThreadId;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

/// Opens the log file with the system's viewer for text.
#[tauri::command]
pub fn open_log(app: AppHandle, state: State<'_, AppState>) -> Result<(), IpcError> {
    let path = crate::logging::log_file(&state.data_dir);
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| IpcError::new(ErrorCode::OpenFailed, format!("cannot open {}: {e}", path.display())))
}

/// Opens a web or mail link in the system browser; never inside the app's window.
#[tauri::command]
pub fn open_link(app: AppHandle, url: String) -> Result<(), IpcError> {
    if !is_external_link(&url) {
        return Err(IpcError::new(ErrorCode::InvalidInput, "only web and mail links open"));
    }
    app.opener()
        .open_url(&url, None::<&str>)
        .map_err(|e| IpcError::new(ErrorCode::OpenFailed, format!("cannot open {url}: {e}")))
}

/// The thread that was open when the app last closed, if it still exists and is not archived.
#[tauri::command]
pub fn last_open_thread(state: State<'_, AppState>) -> Option<ThreadId> {
    let thread = crate::ui_state::load(&state.data_dir).open_thread?;
    state.engine.thread(thread).filter(|t| !t.archived).map(|_| thread)
}

/// Remembers the thread open now, for the next start. Writes a small file.
#[tauri::command]
pub async fn remember_open_thread(
    state: State<'_, AppState>,
    thread_id: Option<ThreadId>,
) -> Result<(), IpcError> {
    let ui = crate::ui_state::UiState { open_thread: thread_id };
    crate::ui_state::save(&state.data_dir, &ui)
        .map_err(|e| IpcError::new(ErrorCode::FileIo, format!("cannot remember the open thread: {e}")))
}

/// `http:`, `https:` and `mailto:` links, and nothing else.
pub fn is_external_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    ["http://", "https://", "mailto:"].iter().any(|scheme| lower.starts_with(scheme))
        && !url.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_and_mail_links_open() {
        assert!(is_external_link("https://example.com/a?b"));
        assert!(is_external_link("mailto:a@example.com"));
        for refused in
            ["javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "/relative", "http://a\nb"]
        {
            assert!(!is_external_link(refused), "{refused} must not open");
        }
    }
}
