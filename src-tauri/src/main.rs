//! Coder's desktop app: a thin Tauri shell. Commands are adapters to the engine and the agent
//! (`commands`), failures cross the IPC boundary as `{code, message}` (`error`), and the UI is
//! the React app in `ui/`, embedded in the binary.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod events;
mod state;

use tauri::Manager;

fn main() {
    tauri::Builder::default()
        .setup(|app| {
            let data_dir =
                coder_engine::default_data_dir().ok_or("no data directory: set CODER_DATA_DIR or HOME")?;
            let state = state::AppState::open(&data_dir)?;
            events::forward(app.handle(), &state);
            app.manage(state);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::provider_label,
            commands::list_threads,
            commands::create_thread,
            commands::chat_page,
            commands::send_message,
            commands::mark_read,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .unwrap_or_else(|e| {
            eprintln!("Coder could not start: {e}");
            std::process::exit(1);
        });
}
