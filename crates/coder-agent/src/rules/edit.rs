//! Adding, removing and listing rules: a project's through its log (one `ProjectUpdated` with
//! the whole new list), the global ones in `Settings`, which the caller saves (and hands to the
//! running agent). The CLI and the app both edit rules through here.
//!
//! A rule is parsed before it is stored, so the log and the settings only ever receive rules
//! that read. Removing the rule `allow TOOL *` from a project whose "always allow" (from before
//! rules) covers the tool takes that back too. A project's rules are read, changed and written
//! while holding the engine's one `RuleEdits` lock, so two edits at the same moment both land
//! (neither writes a list read before the other's was stored). Global rules are checked with
//! `check_global` before settings are saved.

use coder_domain::{limits, Command, PermissionRule, ProjectChanges, ProjectId, RuleEffect, ToolApproval};
use coder_engine::{DispatchError, Engine};
use serde::Serialize;

use super::{Rule, RuleError, Scope};
use crate::settings::{Settings, SettingsError};

/// A rule as listed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListedRule {
    pub scope: Scope,
    pub rule: PermissionRule,
    /// A project's "always allow" for the whole tool, from before rules (`allow TOOL *`).
    pub always_allow: bool,
}

/// Why a rule was not added or removed. Nothing changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleEditError {
    #[error(transparent)]
    Invalid(#[from] RuleError),
    #[error("the {scope} rules already have {}", show(rule))]
    Exists { scope: Scope, rule: PermissionRule },
    #[error("the {scope} rules have no {}", show(rule))]
    Missing { scope: Scope, rule: PermissionRule },
    #[error("there are {} {scope} rules already, the most there may be", limits::RULES)]
    TooMany { scope: Scope },
    #[error("no project {0}")]
    NoProject(String),
    #[error(transparent)]
    Dispatch(#[from] DispatchError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

impl RuleEditError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(e) => e.code(),
            Self::Exists { .. } => "rule_exists",
            Self::Missing { .. } => "rule_not_found",
            Self::TooMany { .. } => "too_large",
            Self::NoProject(_) => "not_found",
            Self::Dispatch(e) => e.code(),
            Self::Settings(e) => e.code(),
        }
    }
}

/// `allow run_command `cargo test*``, as a person reads a rule.
pub fn show(rule: &PermissionRule) -> String {
    format!("{} {} `{}`", rule.effect, rule.tool, rule.pattern)
}

/// The project's rules (its "always allow" tools after them), then the global ones. `project`
/// `None`: the global ones only.
pub fn list(
    engine: &Engine,
    project: Option<ProjectId>,
    settings: &Settings,
) -> Result<Vec<ListedRule>, RuleEditError> {
    let mut listed = Vec::new();
    if let Some(project) = project {
        let (rules, legacy) = engine
            .with_state(|s| s.projects.get(&project).map(|p| (p.rules.clone(), p.tool_approvals.clone())))
            .ok_or_else(|| RuleEditError::NoProject(project.to_string()))?;
        listed.extend(rules.into_iter().map(|rule| ListedRule {
            scope: Scope::Project,
            rule,
            always_allow: false,
        }));
        listed.extend(legacy.into_iter().filter(|(_, a)| *a == ToolApproval::AlwaysAllow).map(
            |(tool, _)| ListedRule { scope: Scope::Project, rule: always_allow(&tool), always_allow: true },
        ));
    }
    listed.extend(list_global(settings));
    Ok(listed)
}

/// The global rules.
pub fn list_global(settings: &Settings) -> Vec<ListedRule> {
    settings
        .rules
        .iter()
        .cloned()
        .map(|rule| ListedRule { scope: Scope::Global, rule, always_allow: false })
        .collect()
}

fn always_allow(tool: &str) -> PermissionRule {
    PermissionRule { effect: RuleEffect::Allow, tool: tool.to_owned(), pattern: "*".into() }
}

/// Held while a project's rules are read, changed and written: one per engine (so per store),
/// so that a concurrent edit cannot write a list that misses this one.
#[derive(Default)]
struct RuleEdits(tokio::sync::Mutex<()>);

/// Adds `rule` (parsed first) at the end of the project's rules.
pub async fn add_to_project(
    engine: &Engine,
    project: ProjectId,
    rule: &PermissionRule,
) -> Result<PermissionRule, RuleEditError> {
    let rule = Rule::parse(rule)?.to_stored();
    let edits = engine.extension::<RuleEdits>();
    let _editing = edits.0.lock().await;
    let mut rules = project_rules(engine, project)?;
    if rules.contains(&rule) {
        return Err(RuleEditError::Exists { scope: Scope::Project, rule });
    }
    if rules.len() >= limits::RULES {
        return Err(RuleEditError::TooMany { scope: Scope::Project });
    }
    rules.push(rule.clone());
    set_project_rules(engine, project, rules).await?;
    Ok(rule)
}

/// Removes `rule` from the project's rules, or takes back the project's "always allow" of a
/// tool when `rule` is `allow TOOL *` and that is where it comes from.
pub async fn remove_from_project(
    engine: &Engine,
    project: ProjectId,
    rule: &PermissionRule,
) -> Result<(), RuleEditError> {
    let wanted = trimmed(rule);
    let edits = engine.extension::<RuleEdits>();
    let _editing = edits.0.lock().await;
    let mut rules = project_rules(engine, project)?;
    if let Some(at) = rules.iter().position(|r| *r == wanted) {
        rules.remove(at);
        return set_project_rules(engine, project, rules).await;
    }
    let legacy = engine.with_state(|s| s.projects.get(&project).and_then(|p| p.tool_approval(&wanted.tool)));
    if legacy == Some(ToolApproval::AlwaysAllow) && wanted == always_allow(&wanted.tool) {
        let changes = ProjectChanges {
            tool_approvals: [(wanted.tool.clone(), ToolApproval::Ask)].into(),
            ..ProjectChanges::default()
        };
        engine.dispatch(Command::UpdateProject { project_id: project, changes }).await?;
        return Ok(());
    }
    Err(RuleEditError::Missing { scope: Scope::Project, rule: wanted })
}

/// Adds `rule` (parsed first) at the end of the global rules in `settings`; the caller saves.
pub fn add_global(settings: &mut Settings, rule: &PermissionRule) -> Result<PermissionRule, RuleEditError> {
    let rule = Rule::parse(rule)?.to_stored();
    if settings.rules.contains(&rule) {
        return Err(RuleEditError::Exists { scope: Scope::Global, rule });
    }
    if settings.rules.len() >= limits::RULES {
        return Err(RuleEditError::TooMany { scope: Scope::Global });
    }
    settings.rules.push(rule.clone());
    Ok(rule)
}

/// The global rules as they are to be saved (each trimmed), or why one of them cannot be: a
/// rule that does not parse, or more rules than there may be. Settings that give an error are
/// not saved.
pub fn check_global(rules: &[PermissionRule]) -> Result<Vec<PermissionRule>, RuleEditError> {
    if rules.len() > limits::RULES {
        return Err(RuleEditError::TooMany { scope: Scope::Global });
    }
    rules.iter().map(|rule| Ok(Rule::parse(rule)?.to_stored())).collect()
}

/// Removes `rule` from the global rules in `settings`; the caller saves.
pub fn remove_global(settings: &mut Settings, rule: &PermissionRule) -> Result<(), RuleEditError> {
    let wanted = trimmed(rule);
    match settings.rules.iter().position(|r| *r == wanted) {
        Some(at) => {
            settings.rules.remove(at);
            Ok(())
        }
        None => Err(RuleEditError::Missing { scope: Scope::Global, rule: wanted }),
    }
}

/// `rule` as stored: trimmed (a rule that no longer parses can still be removed).
fn trimmed(rule: &PermissionRule) -> PermissionRule {
    PermissionRule {
        effect: rule.effect,
        tool: rule.tool.trim().to_owned(),
        pattern: rule.pattern.trim().to_owned(),
    }
}

fn project_rules(engine: &Engine, project: ProjectId) -> Result<Vec<PermissionRule>, RuleEditError> {
    engine
        .with_state(|s| s.projects.get(&project).map(|p| p.rules.clone()))
        .ok_or_else(|| RuleEditError::NoProject(project.to_string()))
}

async fn set_project_rules(
    engine: &Engine,
    project: ProjectId,
    rules: Vec<PermissionRule>,
) -> Result<(), RuleEditError> {
    let changes = ProjectChanges { rules: Some(rules), ..ProjectChanges::default() };
    engine.dispatch(Command::UpdateProject { project_id: project, changes }).await?;
    Ok(())
}
