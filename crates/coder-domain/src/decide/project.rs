//! Projects and their files.

use std::path::Path;

use chrono::{DateTime, Utc};

use super::{check_label, check_size, limits};
use crate::commands::Command;
use crate::error::{DomainError, EntityKind};
use crate::events::DomainEvent;
use crate::ids::FileId;
use crate::state::DomainState;
use crate::values::PermissionRule;

pub(super) fn decide(
    state: &DomainState,
    command: &Command,
    now: DateTime<Utc>,
) -> Result<Vec<DomainEvent>, DomainError> {
    use Command as C;
    let timestamp = now;
    let events = match command {
        C::CreateProject { project_id, name, path } => {
            if state.projects.contains_key(project_id) {
                return Err(DomainError::exists(EntityKind::Project, project_id));
            }
            let name = check_label("name", name, limits::NAME_CHARS)?;
            let path = check_root(path)?;
            if state.projects.values().any(|p| p.path == path) {
                return Err(DomainError::exists(EntityKind::Project, &path));
            }
            vec![DomainEvent::ProjectCreated { project_id: *project_id, name, path, timestamp }]
        }
        C::UpdateProject { project_id, changes } => {
            let project = state
                .projects
                .get(project_id)
                .ok_or_else(|| DomainError::not_found(EntityKind::Project, project_id))?;
            if changes.is_empty() {
                return Err(DomainError::NothingToChange);
            }
            let mut changes = changes.clone();
            if let Some(name) = &changes.name {
                changes.name = Some(check_label("name", name, limits::NAME_CHARS)?);
            }
            if let Some(path) = &changes.path {
                let path = check_root(path)?;
                if state.projects.values().any(|p| p.path == path && p.id != project.id) {
                    return Err(DomainError::exists(EntityKind::Project, &path));
                }
                changes.path = Some(path);
            }
            for tool in changes.tool_approvals.keys() {
                check_label("tool name", tool, limits::NAME_CHARS)?;
            }
            if let Some(rules) = &changes.rules {
                changes.rules = Some(check_rules(rules)?);
            }
            vec![DomainEvent::ProjectUpdated { project_id: *project_id, changes, timestamp }]
        }
        C::RecordFileChange { project_id, path, change_type, run_id } => {
            if !state.projects.contains_key(project_id) {
                return Err(DomainError::not_found(EntityKind::Project, project_id));
            }
            if let Some(run_id) = run_id {
                if !state.runs.contains_key(run_id) {
                    return Err(DomainError::not_found(EntityKind::Run, run_id));
                }
            }
            check_relative(path)?;
            // A path never seen takes any change; a known one (also one seen deleted) only a
            // change from the content the log last recorded (see `File`).
            if let Some(file) = state.file_at(*project_id, path) {
                if !file.accepts(change_type) {
                    return Err(DomainError::StaleFileChange { path: path.clone() });
                }
            }
            vec![DomainEvent::FileChanged {
                project_id: *project_id,
                file_id: FileId::for_path(*project_id, path),
                path: path.clone(),
                change_type: *change_type,
                timestamp,
                run_id: *run_id,
            }]
        }
        _ => unreachable!("routed by decide()"),
    };
    Ok(events)
}

/// A project's permission rules, trimmed: at most `limits::RULES`, each with a tool name (or
/// `*`) and a pattern of at most `limits::RULE_PATTERN_BYTES` on one line, none twice. What a
/// pattern means is the agent's to check; the log only promises a list of well-formed rules.
fn check_rules(rules: &[PermissionRule]) -> Result<Vec<PermissionRule>, DomainError> {
    if rules.len() > limits::RULES {
        return Err(DomainError::invalid(
            "rules",
            format!("a project holds at most {} rules", limits::RULES),
        ));
    }
    let mut checked: Vec<PermissionRule> = Vec::with_capacity(rules.len());
    for rule in rules {
        let tool = check_label("rule tool", &rule.tool, limits::NAME_CHARS)?;
        check_size("rule pattern", rule.pattern.len(), limits::RULE_PATTERN_BYTES)?;
        let pattern = check_label("rule pattern", &rule.pattern, limits::RULE_PATTERN_BYTES)?;
        let rule = PermissionRule { effect: rule.effect, tool, pattern };
        if checked.contains(&rule) {
            return Err(DomainError::invalid(
                "rules",
                format!("the rule {} {} `{}` is given twice", rule.effect, rule.tool, rule.pattern),
            ));
        }
        checked.push(rule);
    }
    Ok(checked)
}

/// A project root: an absolute path without `..`. Whether it exists is the caller's concern.
fn check_root(path: &str) -> Result<String, DomainError> {
    check_size("path", path.len(), limits::PATH_BYTES)?;
    let trimmed = path.trim();
    if trimmed.is_empty() || trimmed.contains('\0') {
        return Err(DomainError::invalid("path", "must not be empty"));
    }
    let p = Path::new(trimmed);
    if !p.is_absolute() {
        return Err(DomainError::invalid("path", "must be absolute"));
    }
    if p.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
        return Err(DomainError::invalid("path", "must not contain '..'"));
    }
    Ok(trimmed.to_owned())
}

/// A path inside a project: relative, `/`-separated, with no `.`, `..` or empty parts.
fn check_relative(path: &str) -> Result<(), DomainError> {
    check_size("path", path.len(), limits::PATH_BYTES)?;
    if path.is_empty() || path.starts_with('/') || path.contains('\\') || path.contains('\0') {
        return Err(DomainError::invalid("path", "must be relative to the project root"));
    }
    if path.split('/').any(|part| part.is_empty() || part == "." || part == "..") {
        return Err(DomainError::invalid("path", "must not contain empty, '.' or '..' parts"));
    }
    Ok(())
}
