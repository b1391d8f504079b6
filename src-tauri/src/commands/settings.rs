//! The provider settings screen, and the first start's choice.

use coder_agent::Settings;
use serde::Serialize;
use tauri::State;

use crate::error::IpcError;
use crate::state::AppState;

/// The settings and what the screen needs to explain them.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SettingsView {
    pub settings: Settings,
    /// No settings were saved before this start: offer the demo or a provider.
    pub first_start: bool,
    /// The environment variable the API key is read from, for providers that need one.
    pub key_variable: Option<String>,
    /// Whether that variable is set (its value never leaves the backend).
    pub key_present: bool,
    /// What the running agent talks to, in words.
    pub provider_label: String,
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> SettingsView {
    let settings = state.settings();
    let key_variable = settings.key_variable();
    let key_present = key_variable.and_then(|v| std::env::var(v).ok()).is_some_and(|k| !k.trim().is_empty());
    let first_start =
        state.first_start && !state.data_dir.join(coder_agent::settings::SETTINGS_FILE).exists();
    SettingsView {
        settings,
        first_start,
        key_variable: key_variable.map(str::to_owned),
        key_present,
        provider_label: state.agent().provider_label(),
    }
}

/// Saves the settings and switches the agent to them.
#[tauri::command]
pub fn save_settings(state: State<'_, AppState>, settings: Settings) -> Result<(), IpcError> {
    state.replace_settings(settings)
}
