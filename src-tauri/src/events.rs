//! Forwards what the engine says changed to the window as `view-change` events (entry added,
//! updated or removed by index, thread summary, run, project); when the window fell behind, a
//! `view-reset` tells it to reload what it shows. An emit that fails is logged.

use tauri::{AppHandle, Emitter};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

pub fn forward(app: &AppHandle, state: &AppState) {
    let mut changes = state.engine.subscribe();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match changes.recv().await {
                Ok(change) => emit(&handle, "view-change", &change),
                Err(RecvError::Lagged(skipped)) => {
                    tracing::warn!(skipped, "the window fell behind the log; it reloads");
                    emit(&handle, "view-reset", &());
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
}

fn emit<T: serde::Serialize + Clone>(app: &AppHandle, name: &str, payload: &T) {
    if let Err(e) = app.emit(name, payload.clone()) {
        tracing::warn!(event = name, error = %e, "the window was not told of a change");
    }
}
