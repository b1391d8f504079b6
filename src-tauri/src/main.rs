//! Coder's desktop app: a thin Tauri shell. Commands are adapters to the engine and the agent
//! (`commands`), failures cross the IPC boundary as `{code, message}` (`error`), view changes
//! reach the window as events (`events`) and streamed text over one channel per open thread
//! (`stream`). The UI is the React app in `ui/`, embedded in the binary.
//!
//! One instance owns a data directory (`instance`); the window's size and place are kept by
//! tauri-plugin-window-state (`window_state_plugin`), the open thread by `ui_state`; logs go to a
//! file in the data directory (`logging`).

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod bindings;
mod commands;
mod error;
mod events;
#[cfg(unix)]
mod instance;
mod logging;
mod state;
mod stream;
mod ui_state;

use std::path::Path;

use tauri::{Manager, RunEvent};

/// The window the app opens (`tauri.conf.json`).
const MAIN_WINDOW: &str = "main";

fn main() {
    let Some(data_dir) = coder_engine::default_data_dir() else {
        eprintln!("Coder could not start: no data directory; set CODER_DATA_DIR or HOME");
        std::process::exit(1);
    };
    #[cfg(unix)]
    let listener = match instance::claim(&data_dir) {
        instance::Claim::Running => {
            eprintln!(
                "Coder is already running on {}; its window was brought to the front",
                data_dir.display()
            );
            return;
        }
        instance::Claim::Owner(listener) => listener,
    };
    logging::init(&data_dir);
    tracing::info!(data_dir = %data_dir.display(), version = env!("CARGO_PKG_VERSION"), "Coder starting");

    let setup_dir = data_dir.clone();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(window_state_plugin(&data_dir))
        .plugin(navigation_guard())
        .manage(stream::Streams::default())
        .setup(move |app| {
            let state = state::AppState::open(&setup_dir)?;
            events::forward(app.handle(), &state);
            app.manage(state);
            if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
                window.show()?;
                #[cfg(unix)]
                if let Some(listener) = listener {
                    let window = window.clone();
                    instance::serve(listener, move || {
                        let _ = window.unminimize();
                        let _ = window.show();
                        let _ = window.set_focus();
                    });
                }
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::open_log,
            commands::app::open_link,
            commands::app::last_open_thread,
            commands::app::remember_open_thread,
            commands::projects::list_projects,
            commands::projects::add_project,
            commands::threads::list_threads,
            commands::threads::create_thread,
            commands::threads::rename_thread,
            commands::threads::set_archived,
            commands::threads::mark_read,
            commands::chat::chat_page,
            commands::chat::chat_page_at,
            commands::chat::send_message,
            commands::chat::project_files,
            commands::chat::attach_image,
            commands::chat::image_data,
            commands::chat::delete_message,
            commands::chat::summarize_thread,
            commands::chat::open_stream,
            commands::chat::close_stream,
            commands::runs::thread_runs,
            commands::runs::run_panel,
            commands::runs::approve_step,
            commands::runs::reject_step,
            commands::runs::cancel_run,
            commands::runs::continue_run,
            commands::runs::cancel_tool,
            commands::runs::tool_output,
            commands::runs::tool_detail,
            commands::files::project_changes,
            commands::files::run_changes,
            commands::files::file_diff,
            commands::files::revert_file,
            commands::files::revert_run,
            commands::timeline::thread_timeline,
            commands::settings::get_settings,
            commands::settings::save_settings,
            commands::settings::set_api_key,
            commands::settings::delete_api_key,
            commands::rules::list_rules,
            commands::rules::add_rule,
            commands::rules::remove_rule,
            commands::rules::rule_suggestion,
            commands::rules::always_allow_step,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "Coder could not start");
            eprintln!("Coder could not start: {e}");
            std::process::exit(1);
        });
    app.run(move |handle, event| on_event(handle, event, &data_dir));
}

/// On exit, stops the agent's runners (runs waiting for approval stay waiting) and closes the
/// store cleanly.
fn on_event(app: &tauri::AppHandle, event: RunEvent, data_dir: &Path) {
    if let RunEvent::Exit = event {
        if let Some(state) = app.try_state::<state::AppState>() {
            tauri::async_runtime::block_on(state.agent().shutdown());
        }
        #[cfg(unix)]
        instance::release(data_dir);
        tracing::info!("Coder stopped");
    }
}

/// The window's size, place and maximized state, put back at the next start. The plugin keeps
/// its file in the app's config folder, one for every data directory; Coder keeps one per data
/// directory (a second profile, each test) by naming an absolute file, which the plugin's
/// `Path::join` onto its folder takes as it is.
fn window_state_plugin<R: tauri::Runtime>(data_dir: &Path) -> tauri::plugin::TauriPlugin<R> {
    use tauri_plugin_window_state::StateFlags;
    tauri_plugin_window_state::Builder::new()
        .with_state_flags(StateFlags::SIZE | StateFlags::POSITION | StateFlags::MAXIMIZED)
        .with_filename(data_dir.join("window-state.json").to_string_lossy())
        .build()
}

/// Keeps the window on the app's own page: any navigation elsewhere (a link the UI did not
/// intercept, a redirect in model output) is refused and logged.
fn navigation_guard<R: tauri::Runtime>() -> tauri::plugin::TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let own = matches!(url.scheme(), "tauri")
                || matches!(url.host_str(), Some("tauri.localhost") | Some("ipc.localhost"))
                || (cfg!(debug_assertions) && url.host_str() == Some("localhost"));
            if !own {
                tracing::warn!(%url, "navigation away from the app refused");
            }
            own
        })
        .build()
}
