//! Forwards what changes to the window: view changes from the engine (`view-change`) and
//! streamed text and command output from the agent (`live`). An emit that fails is logged.

use tauri::{AppHandle, Emitter};

use crate::state::AppState;

pub fn forward(app: &AppHandle, state: &AppState) {
    let mut changes = state.engine.subscribe();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => emit(&handle, "view-change", &change),
                // Behind: tell the window to reload what it shows.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => emit(&handle, "view-reset", &()),
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let mut live = state.agent.live();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match live.recv().await {
                Ok(event) => emit(&handle, "live", &event),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

fn emit<T: serde::Serialize + Clone>(app: &AppHandle, name: &str, payload: &T) {
    if let Err(e) = app.emit(name, payload.clone()) {
        tracing::warn!(event = name, error = %e, "the window was not told of a change");
    }
}
