//! The app around the chat: opening the log, and links in the system browser.

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
