//! The files panel: a project's or a run's file changes, their diffs, and reverting them.

use std::path::PathBuf;

use coder_agent::changes;
use coder_domain::{FileChangeRecord, ProjectId, RunId};
use tauri::State;

use super::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// A project's changes, newest first.
#[tauri::command]
pub async fn project_changes(
    state: State<'_, AppState>,
    project_id: ProjectId,
) -> Result<Vec<FileChangeRecord>, IpcError> {
    let engine = state.engine.clone();
    blocking(move || match engine.project_files(project_id) {
        Ok(files) => Ok(files.newest_first().cloned().collect()),
        // A project without changes has no stream yet.
        Err(coder_engine::QueryError::NotFound { .. }) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    })
    .await
}

/// A run's changes, newest first.
#[tauri::command]
pub async fn run_changes(
    state: State<'_, AppState>,
    run_id: RunId,
) -> Result<Vec<FileChangeRecord>, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        Ok(changes::run_changes(&engine, run_id)?.into_iter().map(|(_, change)| change).collect())
    })
    .await
}

/// The unified diff of the change recorded at `sequence`, or a one-line summary when it is
/// binary or too large to show (`changes::render_diff`).
#[tauri::command]
pub async fn file_diff(
    state: State<'_, AppState>,
    project_id: ProjectId,
    sequence: u64,
) -> Result<String, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        let change = changes::change_at(&engine, project_id, sequence)?;
        Ok(changes::diff(&engine, &change)?)
    })
    .await
}

/// Puts the file back as it was before the change at `sequence`. Refused with `changed_since`
/// when the file was changed after it, unless `force`.
#[tauri::command]
pub async fn revert_file(
    state: State<'_, AppState>,
    project_id: ProjectId,
    sequence: u64,
    force: bool,
) -> Result<(), IpcError> {
    let engine = state.engine.clone();
    let change = blocking(move || Ok(changes::change_at(&engine, project_id, sequence)?)).await?;
    let root = project_root(&state, project_id).await?;
    changes::revert(&state.engine, project_id, &root, &change, force).await?;
    Ok(())
}

/// Reverts every change of a run, newest first; returns how many.
#[tauri::command]
pub async fn revert_run(state: State<'_, AppState>, run_id: RunId, force: bool) -> Result<u32, IpcError> {
    let engine = state.engine.clone();
    let first = blocking(move || Ok(changes::run_changes(&engine, run_id)?.into_iter().next())).await?;
    let Some((project_id, _)) = first else {
        return Ok(0);
    };
    let root = project_root(&state, project_id).await?;
    let reverted = changes::revert_run(&state.engine, run_id, &root, force).await?;
    Ok(u32::try_from(reverted).unwrap_or(u32::MAX))
}

/// The project's folder, canonical (off the calling thread: the folder may be on a slow disk).
async fn project_root(state: &AppState, project: ProjectId) -> Result<PathBuf, IpcError> {
    let engine = state.engine.clone();
    blocking(move || Ok(coder_agent::projects::root(&engine, project)?)).await
}
