//! The provider settings screen, and the first start's choice.

use coder_agent::Settings;
use serde::Serialize;
use tauri::State;

use super::blocking;

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

/// The settings as saved. Reading them is a disk read: not on the main thread.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    let data_dir = state.data_dir.clone();
    let (settings, saved) = blocking(move || {
        Ok((AppState::settings(&data_dir), data_dir.join(coder_agent::settings::SETTINGS_FILE).exists()))
    })
    .await?;
    let key_variable = settings.key_variable();
    let key_present = key_variable.and_then(|v| std::env::var(v).ok()).is_some_and(|k| !k.trim().is_empty());
    Ok(SettingsView {
        settings,
        first_start: state.first_start && !saved,
        key_variable: key_variable.map(str::to_owned),
        key_present,
        provider_label: state.agent().provider_label(),
    })
}

/// Saves the settings and switches the agent to them. Writing them is a disk write: not on the
/// main thread.
#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, settings: Settings) -> Result<(), IpcError> {
    let (data_dir, agent) = (state.data_dir.clone(), state.agent());
    blocking(move || AppState::replace_settings(&data_dir, &agent, settings)).await
}
