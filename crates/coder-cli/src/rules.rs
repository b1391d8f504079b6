//! `coder rule`: permission rules, a project's (in the log) or the global ones (in
//! settings.json). Without `--project` or `--global`, the project is the current folder's, which
//! Coder must already know; `--project DIR` adds DIR as a project when a rule is added to it.

use std::path::Path;

use coder_agent::projects;
use coder_agent::rules::{self, edit, ListedRule};
use coder_agent::Settings;
use coder_domain::{PermissionRule, ProjectId, RuleEffect};
use coder_engine::Engine;

use crate::args::{EffectArg, RuleAction, RuleScopeArgs};
use crate::Failure;

pub fn run(data_dir: &Path, action: &RuleAction, json: bool) -> Result<(), Failure> {
    // A rule that cannot be used is reported as such before anything is opened.
    if let RuleAction::Add { effect, tool, pattern, .. } = action {
        let rule = rule(*effect, tool, pattern);
        rules::parse(rule.effect, &rule.tool, &rule.pattern)?;
    }
    match action {
        RuleAction::Add { scope, effect, tool, pattern } => {
            change(data_dir, scope, &rule(*effect, tool, pattern), Change::Add)
        }
        RuleAction::Remove { scope, effect, tool, pattern } => {
            change(data_dir, scope, &rule(*effect, tool, pattern), Change::Remove)
        }
        RuleAction::List { scope } => list(data_dir, scope, json),
    }
}

fn rule(effect: EffectArg, tool: &str, pattern: &str) -> PermissionRule {
    let effect = match effect {
        EffectArg::Allow => RuleEffect::Allow,
        EffectArg::Ask => RuleEffect::Ask,
        EffectArg::Deny => RuleEffect::Deny,
    };
    PermissionRule { effect, tool: tool.to_owned(), pattern: pattern.to_owned() }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Change {
    Add,
    Remove,
}

fn change(
    data_dir: &Path,
    scope: &RuleScopeArgs,
    rule: &PermissionRule,
    change: Change,
) -> Result<(), Failure> {
    if scope.global {
        let mut settings = Settings::load(data_dir)?;
        let shown = match change {
            Change::Add => edit::show(&edit::add_global(&mut settings, rule)?),
            Change::Remove => {
                edit::remove_global(&mut settings, rule)?;
                edit::show(rule)
            }
        };
        settings.save(data_dir)?;
        println!("{} global rule {shown}", verb(change));
        return Ok(());
    }
    let engine = crate::agent_run::open_engine(data_dir, false)?;
    let result = runtime()?.block_on(async {
        let (project, folder) = project_of(&engine, scope, change == Change::Add).await?;
        let shown = match change {
            Change::Add => edit::show(&edit::add_to_project(&engine, project, rule).await?),
            Change::Remove => {
                edit::remove_from_project(&engine, project, rule).await?;
                edit::show(rule)
            }
        };
        println!("{} rule {shown} of the project {folder}", verb(change));
        Ok::<(), Failure>(())
    });
    engine.close();
    result
}

fn verb(change: Change) -> &'static str {
    match change {
        Change::Add => "added",
        Change::Remove => "removed",
    }
}

/// The project's rules and the global ones (only the global ones with `--global`, or when the
/// current folder is not a project).
fn list(data_dir: &Path, scope: &RuleScopeArgs, json: bool) -> Result<(), Failure> {
    let settings = Settings::load(data_dir)?;
    let listed =
        if scope.global || (scope.project.is_none() && !data_dir.join(coder_store::STORE_FILE).exists()) {
            edit::list_global(&settings)
        } else {
            let engine = crate::open::engine_for_reading(data_dir)?;
            let project = match &scope.project {
                Some(_) => Some(runtime()?.block_on(project_of(&engine, scope, false))?.0),
                None => known_project(&engine, &std::env::current_dir()?)?.map(|(id, _)| id),
            };
            let listed = edit::list(&engine, project, &settings);
            engine.close();
            listed?
        };
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else if listed.is_empty() {
        println!("no rules: read-only tools run, everything else waits for your approval");
    } else {
        for ListedRule { scope, rule, always_allow } in &listed {
            let note = if *always_allow { "  (always allow, from before rules)" } else { "" };
            println!(
                "{:<8} {:<6} {:<12} {}{note}",
                scope.to_string(),
                rule.effect.as_str(),
                rule.tool,
                rule.pattern
            );
        }
    }
    Ok(())
}

/// The project the rule is about: `--project DIR` (added to Coder when `create`), or the
/// current folder's.
async fn project_of(
    engine: &Engine,
    scope: &RuleScopeArgs,
    create: bool,
) -> Result<(ProjectId, String), Failure> {
    let (dir, given) = match &scope.project {
        Some(dir) => (dir.clone(), true),
        None => (std::env::current_dir()?, false),
    };
    if let Some(found) = known_project(engine, &dir)? {
        return Ok(found);
    }
    if !(given && create) {
        return Err(Failure::new(format!(
            "Coder does not know {} as a project; name one with --project DIR, or use --global",
            dir.display()
        )));
    }
    let project_id = projects::add(engine, &dir).await.map_err(|e| Failure::new(e.to_string()))?;
    Ok((project_id, projects::canonical_folder(&dir).map_err(|e| Failure::new(e.to_string()))?))
}

/// The project whose root is `dir`, if Coder knows it.
fn known_project(engine: &Engine, dir: &Path) -> Result<Option<(ProjectId, String)>, Failure> {
    let folder = projects::canonical_folder(dir).map_err(|e| Failure::new(e.to_string()))?;
    Ok(projects::find(engine, &folder).map(|id| (id, folder)))
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// The rule `coder run` offers for a call of `run` that waits ("[a]lways allow `cargo test …`"),
/// if any, checked against the run's project rules (the global ones, which the running agent
/// holds, are not read again here).
pub fn offer(
    engine: &Engine,
    run: coder_domain::RunId,
    tool: &str,
    input: &serde_json::Value,
) -> Option<rules::Suggestion> {
    let (project, always_allow) = engine.with_state(|s| {
        let project = s.projects.get(&s.threads.get(&s.runs.get(&run)?.thread_id)?.project_id?)?;
        Some((project.rules.clone(), project.tool_approvals.clone()))
    })?;
    rules::suggest(&coder_agent::tools::ToolSet::standard(), tool, input, &project, &[], &always_allow)
}

/// Adds `rule` to the project of `run` (already having it is fine) and says so.
pub async fn always_allow(
    engine: &Engine,
    run: coder_domain::RunId,
    rule: &PermissionRule,
) -> Result<(), Failure> {
    let project = engine
        .with_state(|s| s.threads.get(&s.runs.get(&run)?.thread_id)?.project_id)
        .ok_or_else(|| Failure::new(format!("run {run} has no project to add a rule to")))?;
    match edit::add_to_project(engine, project, rule).await {
        Ok(_) | Err(edit::RuleEditError::Exists { .. }) => {
            eprintln!("    added the project rule {}", edit::show(rule));
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}
