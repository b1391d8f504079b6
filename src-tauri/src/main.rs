//! Coder's desktop app: a thin Tauri shell. Commands are adapters to the engine and the agent
//! (`commands`), failures cross the IPC boundary as `{code, message}` (`error`), and the UI is
//! the React app in `ui/`, embedded in the binary.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod error;
mod state;

use tauri::Manager;

fn main() {
    tauri::Builder::default()
        .setup(|app| {
            let data_dir =
                coder_engine::default_data_dir().ok_or("no data directory: set CODER_DATA_DIR or HOME")?;
            app.manage(state::AppState::open(&data_dir)?);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::provider_label,
            commands::list_threads,
            commands::create_thread,
        ])
        .run(tauri::generate_context!("../tauri.conf.json"))
        .unwrap_or_else(|e| {
            eprintln!("Coder could not start: {e}");
            std::process::exit(1);
        });
}
