//! Permission rules: listing, adding and removing them (a project's in its log, the global ones
//! in settings.json, which the running agent takes up at once), and the approval card's "Always
//! allow … in this project".

use coder_agent::rules::{self, edit, ListedRule, Suggestion};
use coder_agent::Settings;
use coder_domain::{Approver, PermissionRule, ProjectId, RunId, StepId};
use tauri::State;

use super::blocking;
use crate::error::IpcError;
use crate::state::AppState;

/// The project's rules (its "always allow" tools included), then the global ones; only the
/// global ones when `project_id` is `None`. Reads the settings file and waits for the write
/// model: not on the main thread.
#[tauri::command]
pub async fn list_rules(
    state: State<'_, AppState>,
    project_id: Option<ProjectId>,
) -> Result<Vec<ListedRule>, IpcError> {
    let (engine, data_dir) = (state.engine.clone(), state.data_dir.clone());
    blocking(move || {
        let settings = Settings::load(&data_dir)?;
        Ok(edit::list(&engine, project_id, &settings)?)
    })
    .await
}

/// Adds `rule` to the project's rules, or to the global ones when `project_id` is `None`;
/// answers the rule as stored (trimmed).
#[tauri::command]
pub async fn add_rule(
    state: State<'_, AppState>,
    project_id: Option<ProjectId>,
    rule: PermissionRule,
) -> Result<PermissionRule, IpcError> {
    match project_id {
        Some(project) => Ok(edit::add_to_project(&state.engine, project, &rule).await?),
        None => {
            let (data_dir, agent) = (state.data_dir.clone(), state.agent());
            blocking(move || {
                let mut settings = Settings::load(&data_dir)?;
                let stored = edit::add_global(&mut settings, &rule)?;
                AppState::replace_settings(&data_dir, &agent, settings)?;
                Ok(stored)
            })
            .await
        }
    }
}

/// Removes `rule` from the project's rules, or from the global ones when `project_id` is `None`.
#[tauri::command]
pub async fn remove_rule(
    state: State<'_, AppState>,
    project_id: Option<ProjectId>,
    rule: PermissionRule,
) -> Result<(), IpcError> {
    match project_id {
        Some(project) => Ok(edit::remove_from_project(&state.engine, project, &rule).await?),
        None => {
            let (data_dir, agent) = (state.data_dir.clone(), state.agent());
            blocking(move || {
                let mut settings = Settings::load(&data_dir)?;
                edit::remove_global(&mut settings, &rule)?;
                AppState::replace_settings(&data_dir, &agent, settings)
            })
            .await
        }
    }
}

/// The rule the approval card offers for a step that waits; `None` when there is no sensible
/// one (a chain, a shell, a path outside the project…).
#[tauri::command]
pub async fn rule_suggestion(
    state: State<'_, AppState>,
    run_id: RunId,
    step_id: StepId,
) -> Result<Option<Suggestion>, IpcError> {
    let (engine, data_dir) = (state.engine.clone(), state.data_dir.clone());
    blocking(move || {
        let call = engine.with_state(|s| {
            let run = s.runs.get(&run_id)?;
            let tool = s.tool_uses.get(&run.step(step_id)?.tool_use_id()?)?;
            let project = s.projects.get(&s.threads.get(&run.thread_id)?.project_id?)?;
            Some((
                tool.tool_name.clone(),
                tool.input.clone(),
                project.rules.clone(),
                project.tool_approvals.clone(),
            ))
        });
        let Some((tool, input, project_rules, always_allow)) = call else { return Ok(None) };
        let global = Settings::load(&data_dir)?.rules;
        let tools = coder_agent::tools::ToolSet::standard();
        Ok(rules::suggest(&tools, &tool, &input, &project_rules, &global, &always_allow))
    })
    .await
}

/// "Always allow … in this project": adds `rule` to the project of the step's run (already
/// having it is fine) and approves the step, as the person who clicked.
#[tauri::command]
pub async fn always_allow_step(
    state: State<'_, AppState>,
    run_id: RunId,
    step_id: StepId,
    rule: PermissionRule,
) -> Result<(), IpcError> {
    let engine = state.engine.clone();
    let project = blocking(move || {
        engine
            .with_state(|s| s.threads.get(&s.runs.get(&run_id)?.thread_id)?.project_id)
            .ok_or_else(|| edit::RuleEditError::NoProject(format!("for the run {run_id}")).into())
    })
    .await?;
    match edit::add_to_project(&state.engine, project, &rule).await {
        Ok(_) | Err(edit::RuleEditError::Exists { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(state.agent().approve(run_id, step_id, Approver::Person).await?)
}
