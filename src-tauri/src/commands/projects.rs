//! Projects: the folders threads work in.

use std::path::Path;

use coder_domain::{Project, ProjectId};
use tauri::State;

use super::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// Every project, by name. Waits for the write model to load: not on the main thread.
#[tauri::command]
pub async fn list_projects(state: State<'_, AppState>) -> Result<Vec<Project>, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        let mut projects: Vec<Project> = engine.with_state(|s| s.projects.values().cloned().collect());
        projects.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(projects)
    })
    .await
}

/// Adds the folder at `path` as a project named after it, or answers the project it already is.
/// The folder must exist.
#[tauri::command]
pub async fn add_project(state: State<'_, AppState>, path: String) -> Result<ProjectId, IpcError> {
    Ok(coder_agent::projects::add(&state.engine, Path::new(path.trim())).await?)
}
