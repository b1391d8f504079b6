//! The provider settings screen, the first start's choice, and API keys in the system keyring.

use coder_agent::keys::{self, KeyStatus, KeyedProvider};
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
    /// Where each provider's key comes from and what the keyring holds, in `KeyedProvider::ALL`
    /// order, so the screen can show the key of a provider chosen but not yet saved. Never a key.
    pub keys: Vec<KeyStatus>,
    /// What the running agent talks to, in words.
    pub provider_label: String,
}

/// The settings as saved, and each key's status. Reading them is a disk read and a keyring
/// query: not on the main thread.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsView, IpcError> {
    let data_dir = state.data_dir.clone();
    let (settings, saved) = blocking(move || {
        Ok((AppState::settings(&data_dir), data_dir.join(coder_agent::settings::SETTINGS_FILE).exists()))
    })
    .await?;
    let keys = blocking(|| Ok(KeyedProvider::ALL.map(keys::status).to_vec())).await?;
    let key_variable = settings.key_variable();
    Ok(SettingsView {
        settings,
        first_start: state.first_start && !saved,
        key_variable: key_variable.map(str::to_owned),
        keys,
        provider_label: state.agent().provider_label(),
    })
}

/// Saves the settings and switches the agent to them. Writing them is a disk write: not on the
/// main thread.
#[tauri::command]
pub async fn save_settings(state: State<'_, AppState>, mut settings: Settings) -> Result<(), IpcError> {
    // Global rules are saved only when every one of them reads (trimmed, as rule edits store
    // them): a bad one refuses the whole save with its code, and nothing is written.
    settings.rules = coder_agent::rules::edit::check_global(&settings.rules)?;
    let (data_dir, agent) = (state.data_dir.clone(), state.agent());
    blocking(move || AppState::replace_settings(&data_dir, &agent, settings)).await
}

/// Saves `key` as `provider`'s API key in the system keyring and returns the key's new status.
/// Nothing else changes: providers read the key before every model call.
///
/// Keyring calls block, and on Linux the Secret Service client runs its own runtime, which
/// panics on a thread inside a tokio runtime's async context. `blocking` runs them on tokio's
/// blocking pool, whose threads are not inside that context, so this is allowed there (as in
/// `coder_agent::provider::key`); the window test calls these through the real app.
#[tauri::command]
pub async fn set_api_key(provider: String, key: String) -> Result<KeyStatus, IpcError> {
    blocking(move || {
        let provider: KeyedProvider = provider.parse()?;
        keys::set(provider, &key)?;
        Ok(keys::status(provider))
    })
    .await
}

/// Deletes `provider`'s API key from the system keyring (nothing when there is none) and
/// returns the key's new status. Off the main thread, as `set_api_key`.
#[tauri::command]
pub async fn delete_api_key(provider: String) -> Result<KeyStatus, IpcError> {
    blocking(move || {
        let provider: KeyedProvider = provider.parse()?;
        keys::delete(provider)?;
        Ok(keys::status(provider))
    })
    .await
}
