//! The main window's size and position, kept in `window.json` in the data directory and put
//! back at the next start. A file that cannot be read is ignored: the defaults apply.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tauri::{PhysicalPosition, PhysicalSize, WebviewWindow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowState {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    #[serde(default)]
    pub maximized: bool,
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("window.json")
}

/// Puts the window back where it was, if it was somewhere sensible.
pub fn restore(window: &WebviewWindow, data_dir: &Path) {
    let Ok(text) = std::fs::read_to_string(file(data_dir)) else { return };
    let Ok(state) = serde_json::from_str::<WindowState>(&text) else { return };
    if state.width < 200 || state.height < 200 {
        return;
    }
    let _ = window.set_size(PhysicalSize::new(state.width, state.height));
    let _ = window.set_position(PhysicalPosition::new(state.x, state.y));
    if state.maximized {
        let _ = window.maximize();
    }
}

/// Remembers where the window is now.
pub fn save(window: &WebviewWindow, data_dir: &Path) {
    let (Ok(position), Ok(size)) = (window.outer_position(), window.inner_size()) else { return };
    let maximized = window.is_maximized().unwrap_or(false);
    let state =
        WindowState { x: position.x, y: position.y, width: size.width, height: size.height, maximized };
    let path = file(data_dir);
    let tmp = path.with_extension("json.tmp");
    let written = serde_json::to_vec(&state)
        .map_err(std::io::Error::other)
        .and_then(|bytes| std::fs::write(&tmp, bytes))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if let Err(e) = written {
        tracing::warn!(error = %e, "window size and position not saved");
    }
}

/// Saves at most this often while the window is moved or resized; closing always saves.
const SAVE_EVERY: Duration = Duration::from_millis(250);

static LAST_SAVE: Mutex<Option<Instant>> = Mutex::new(None);

/// Remembers where the window is after a move or resize, unless it was saved a moment ago.
pub fn save_soon(window: &WebviewWindow, data_dir: &Path) {
    {
        let mut last = LAST_SAVE.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < SAVE_EVERY) {
            return;
        }
        *last = Some(Instant::now());
    }
    save(window, data_dir);
}
