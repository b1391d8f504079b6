//! Projects: the folders threads work in.

use coder_domain::{Command, Project, ProjectId};
use tauri::State;

use super::blocking;
use crate::error::{ErrorCode, IpcError};
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

/// Adds the folder at `path` as a project named after it. The folder must exist.
#[tauri::command]
pub async fn add_project(state: State<'_, AppState>, path: String) -> Result<ProjectId, IpcError> {
    let asked = path.clone();
    let folder = blocking(move || {
        std::fs::canonicalize(asked.trim())
            .ok()
            .filter(|p| p.is_dir())
            .ok_or_else(|| IpcError::new(ErrorCode::NotAFolder, format!("{asked} is not a folder")))
    })
    .await?;
    let name =
        folder.file_name().map_or_else(|| folder.display().to_string(), |n| n.to_string_lossy().into());
    let path = folder.display().to_string();
    let known = state.engine.with_state(|s| s.projects.values().find(|p| p.path == path).map(|p| p.id));
    if let Some(id) = known {
        return Ok(id);
    }
    let project_id = ProjectId::new();
    state.engine.dispatch(Command::CreateProject { project_id, name, path }).await?;
    Ok(project_id)
}
