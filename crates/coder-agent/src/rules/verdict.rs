//! Deciding a tool call against the rules: deny over ask over allow, wherever each comes from.
//!
//! - A `deny` rule that matches anything the call acts on — one part of a chain, the path, or
//!   where a link leads — denies it.
//! - Otherwise an `ask` rule that matches anything makes it wait for the person, even for a
//!   read-only tool.
//! - Otherwise a `deny` or `ask` rule that might match what the call hides makes it wait,
//!   naming the rule and why: a command that runs code the line does not show (`sh script.sh`,
//!   `curl … | sh`, `python -c …`, `ssh host …`) against any command rule, and a folder that
//!   `list_files` or `search` walks against a path rule that matches something inside it.
//! - Otherwise the call runs without asking when `allow` rules match everything it acts on:
//!   every part of a chain (each part may be allowed by a different rule), the path and where
//!   it leads. A command line that cannot be split, or a path that cannot be read, is never
//!   allowed by a rule.
//! - Otherwise read-only tools run (as they always have: a path they must not read is refused by
//!   the tool itself), and the rest wait for the person.
//!
//! A stored rule that does not parse (a settings file edited by hand, a rule from a newer
//! Coder) allows nothing; if it would deny or ask, every call of its tool waits for the person.

use std::collections::BTreeMap;
use std::fmt;

use coder_domain::{PermissionRule, RuleEffect, ToolApproval};

use super::call::{Call, Subject};
use super::shell::Part;
use super::{Rule, RuleError};
use crate::tools::ToolKind;

/// Where a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RuleScope"))]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The project's rules, in the log.
    Project,
    /// Every project's, in settings.json.
    Global,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Project => "project",
            Self::Global => "global",
        })
    }
}

/// The rule that made a decision, as the log and the run panel name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleName {
    /// A permission rule: "rule `cargo test*` (project)".
    Rule { pattern: String, scope: Scope },
    /// A project's "always allow" for a whole tool, from before rules: "always allow run_command
    /// in this project".
    AlwaysAllow { tool: String },
    /// A `deny` or `ask` rule that might match what the call hides, so the person decides:
    /// "rule `rm *` (project), asking: the command runs …".
    Hidden { rule: Box<RuleName>, why: String },
}

impl fmt::Display for RuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rule { pattern, scope } => write!(f, "rule `{pattern}` ({scope})"),
            Self::AlwaysAllow { tool } => write!(f, "always allow {tool} in this project"),
            Self::Hidden { rule, why } => write!(f, "{rule}, asking: {why}"),
        }
    }
}

/// What the rules decided about a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Run without asking; `by` names what allowed it, for the log.
    Allow { by: String },
    /// Wait for the person (`by`: the `ask` rule, if one made it wait).
    Ask { by: Option<RuleName> },
    /// Refuse at once.
    Deny { by: RuleName },
}

impl Verdict {
    /// What the log records for a denial: "denied by rule `rm *` (global)".
    pub fn denial_reason(by: &RuleName) -> String {
        format!("denied by {by}")
    }
}

/// The policy a call allowed for being read-only is recorded under, as before rules.
pub const READ_ONLY: &str = "read-only tool";

/// At most this many rules are named for one allowed call; the rest are counted.
const NAMED: usize = 4;

struct Loaded {
    name: RuleName,
    effect: RuleEffect,
    tool: String,
    rule: Result<Rule, RuleError>,
}

/// The rules that apply to one project: its own first, then the global ones, then the
/// project's "always allow" tools.
pub struct RuleSet {
    rules: Vec<Loaded>,
}

impl RuleSet {
    /// `legacy` is the project's tool approvals from before rules (`ToolApproval::AlwaysAllow`
    /// allows the whole tool; `Ask` adds nothing to the default).
    pub fn new(
        project: &[PermissionRule],
        global: &[PermissionRule],
        legacy: &BTreeMap<String, ToolApproval>,
    ) -> Self {
        let scoped =
            project.iter().map(|r| (r, Scope::Project)).chain(global.iter().map(|r| (r, Scope::Global)));
        let mut rules: Vec<Loaded> = scoped
            .map(|(stored, scope)| Loaded {
                name: RuleName::Rule { pattern: stored.pattern.trim().to_owned(), scope },
                effect: stored.effect,
                tool: stored.tool.trim().to_owned(),
                rule: Rule::parse(stored),
            })
            .collect();
        for (tool, approval) in legacy {
            if *approval == ToolApproval::AlwaysAllow {
                let stored =
                    PermissionRule { effect: RuleEffect::Allow, tool: tool.clone(), pattern: "*".into() };
                rules.push(Loaded {
                    name: RuleName::AlwaysAllow { tool: tool.clone() },
                    effect: RuleEffect::Allow,
                    tool: tool.clone(),
                    rule: Rule::parse(&stored),
                });
            }
        }
        for loaded in &rules {
            if let Err(e) = &loaded.rule {
                tracing::warn!(rule = %loaded.name, error = %e, "a stored rule cannot be read; it allows nothing");
            }
        }
        Self { rules }
    }

    /// Decides `call`.
    pub fn decide(&self, call: &Call) -> Verdict {
        let applies = |l: &&Loaded| l.tool == "*" || l.tool == call.tool;
        let with = |effect: RuleEffect| self.rules.iter().filter(applies).filter(move |l| l.effect == effect);
        if let Some(rule) = with(RuleEffect::Deny).find(|l| l.rule.as_ref().is_ok_and(|r| touches(r, call))) {
            return Verdict::Deny { by: rule.name.clone() };
        }
        let unreadable = with(RuleEffect::Deny).chain(with(RuleEffect::Ask)).find(|l| l.rule.is_err());
        if let Some(rule) = with(RuleEffect::Ask).find(|l| l.rule.as_ref().is_ok_and(|r| touches(r, call))) {
            return Verdict::Ask { by: Some(rule.name.clone()) };
        }
        let hidden = with(RuleEffect::Deny)
            .chain(with(RuleEffect::Ask))
            .find_map(|l| l.rule.as_ref().ok().and_then(|r| hides(r, call)).map(|why| (l, why)));
        if let Some((rule, why)) = hidden {
            return Verdict::Ask { by: Some(RuleName::Hidden { rule: Box::new(rule.name.clone()), why }) };
        }
        if let Some(rule) = unreadable {
            return Verdict::Ask { by: Some(rule.name.clone()) };
        }
        if call.kind.is_some() {
            let allows: Vec<&Loaded> = with(RuleEffect::Allow).filter(|l| l.rule.is_ok()).collect();
            if let Some(by) = allowed(&allows, call) {
                return Verdict::Allow { by };
            }
        }
        match call.kind {
            Some(ToolKind::Read) => Verdict::Allow { by: READ_ONLY.to_owned() },
            _ => Verdict::Ask { by: None },
        }
    }
}

/// True when `rule` matches anything the call acts on (for `deny` and `ask`).
fn touches(rule: &Rule, call: &Call) -> bool {
    match &call.subject {
        Subject::Command { parts: Ok(parts), .. } => parts.iter().any(|part| rule.touches_command(part)),
        // A line that cannot be split is matched as a whole, so that a deny still finds
        // `rm -rf x 'oops` by its start.
        Subject::Command { parts: Err(_), text } => rule.is_any() || rule.matches_command_text(text),
        Subject::Paths(Some(paths)) => paths.iter().any(|names| rule.matches_path(names)),
        Subject::Paths(None) | Subject::Nothing => rule.is_any(),
    }
}

/// Why `rule` (a `deny` or `ask` that does not match) might still match what the call hides.
fn hides(rule: &Rule, call: &Call) -> Option<String> {
    match &call.subject {
        Subject::Command { parts: Ok(parts), .. } if rule.is_about_commands() => parts
            .iter()
            .find_map(Part::runs_unseen)
            .map(|what| format!("the command runs {what}, which no rule can look into")),
        Subject::Paths(Some(paths)) if call.walks && paths.iter().any(|names| rule.matches_below(names)) => {
            Some("it may match something inside the folder this call reads".to_owned())
        }
        _ => None,
    }
}

/// What allows every thing the call acts on, named; `None` when something is not allowed.
fn allowed(allows: &[&Loaded], call: &Call) -> Option<String> {
    let mut used: Vec<&RuleName> = Vec::new();
    let mut cover = |matches: &dyn Fn(&Rule) -> bool| -> bool {
        match allows.iter().find(|l| l.rule.as_ref().is_ok_and(matches)) {
            Some(l) => {
                if !used.contains(&&l.name) {
                    used.push(&l.name);
                }
                true
            }
            None => false,
        }
    };
    let all = match &call.subject {
        Subject::Command { parts: Ok(parts), .. } => {
            parts.iter().all(|part: &Part| cover(&|r: &Rule| r.allows_command(part)))
        }
        Subject::Paths(Some(paths)) => paths.iter().all(|names| cover(&|r: &Rule| r.matches_path(names))),
        Subject::Command { parts: Err(_), .. } | Subject::Paths(None) | Subject::Nothing => false,
    };
    (all && !used.is_empty()).then(|| name_all(&used))
}

/// "rule `a` (project)", or "rules `a` (project), `b` (global)", the first `NAMED` of them.
fn name_all(names: &[&RuleName]) -> String {
    if let [one] = names {
        return one.to_string();
    }
    let (rules, others): (Vec<&&RuleName>, Vec<&&RuleName>) =
        names.iter().partition(|n| matches!(n, RuleName::Rule { .. }));
    let mut said: Vec<String> = Vec::new();
    if !rules.is_empty() {
        let listed: Vec<String> = rules
            .iter()
            .take(NAMED)
            .map(|n| match n {
                RuleName::Rule { pattern, scope } => format!("`{pattern}` ({scope})"),
                other => other.to_string(),
            })
            .collect();
        let more = rules.len().saturating_sub(NAMED);
        let noun = if rules.len() == 1 { "rule" } else { "rules" };
        said.push(format!(
            "{noun} {}{}",
            listed.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        ));
    }
    said.extend(others.iter().map(|n| n.to_string()));
    said.join(", ")
}
