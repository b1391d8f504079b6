//! Permission rules: which tool calls run without asking, which wait for the person, and which
//! are refused, by tool and by what the call acts on.
//!
//! A rule is `allow`, `ask` or `deny`, a tool's name or `*`, and a pattern (see `pattern` for
//! the language: a command prefix or wildcard for `run_command`, path globs for the file
//! tools). A project's rules live in its log (`ProjectChanges::rules`); global ones in
//! settings.json (`Settings::rules`). Deny wins over ask, ask over allow, wherever each comes
//! from. A command line is split into the simple commands it runs (`shell`), and an allow rule
//! lets the line run only when every one of them is allowed; a deny that matches any of them
//! denies it; a line that cannot be split is never allowed. Commands are matched as their
//! programs receive them (quotes and escapes resolved; for `deny` and `ask` also by the
//! program's file name), and one that runs code the line does not show (`sh script.sh`,
//! `python -c …`) is allowed only by `*` and waits whenever a command rule might deny it. A
//! folder that `list_files` or `search` walks meets the path rules about what is inside it. Without a matching rule the defaults
//! of before rules hold: read-only tools run, the rest wait, and a project's "always allow" of
//! a whole tool (`ToolApproval::AlwaysAllow`, still in people's logs) allows that tool.
//!
//! `RuleSet::decide` is what the run loop asks; `edit` adds, removes and lists rules for the CLI
//! and the app; `suggest` proposes the rule an approval card offers.

mod call;
pub mod edit;
mod glob;
mod pattern;
pub mod shell;
mod suggest;
mod verdict;

use coder_domain::{PermissionRule, RuleEffect};

pub use call::{Call, Subject};
pub use edit::{ListedRule, RuleEditError};
pub use pattern::MAX_PATTERN_BYTES;
pub use suggest::{suggest, Suggestion};
pub use verdict::{RuleName, RuleSet, Scope, Verdict, READ_ONLY};

use self::pattern::{CommandPattern, PathPattern};
use self::shell::Part;
use crate::tools::{ToolKind, ToolSet};

/// Why a rule cannot be used. Nothing is stored for a rule that gives one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    #[error("a rule needs a pattern; `*` matches everything")]
    EmptyPattern,
    #[error("the pattern `{pattern}` cannot be used: {reason}")]
    BadPattern { pattern: String, reason: String },
    #[error("a pattern is at most {MAX_PATTERN_BYTES} bytes")]
    TooLong,
    #[error("there is no tool named `{name}`; a rule names one of {known}, or `*` for every tool")]
    UnknownTool { name: String, known: String },
}

impl RuleError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EmptyPattern => "rule_pattern_empty",
            Self::BadPattern { .. } => "rule_pattern_invalid",
            Self::TooLong => "too_large",
            Self::UnknownTool { .. } => "rule_tool_unknown",
        }
    }
}

/// A rule, parsed and ready to match.
#[derive(Clone, Debug)]
pub struct Rule {
    pub effect: RuleEffect,
    /// A tool's name, or `*`.
    pub tool: String,
    /// The pattern as given, trimmed.
    pub pattern: String,
    /// How the pattern reads for a command, when it applies to commands.
    command: Option<CommandPattern>,
    /// How it reads for a path, when it applies to the file tools.
    path: Option<PathPattern>,
}

impl Rule {
    /// Parses a stored or typed rule. A rule for `*` applies its pattern to commands and to
    /// paths wherever it reads as such, and must read as at least one of them.
    pub fn parse(stored: &PermissionRule) -> Result<Self, RuleError> {
        let tool = stored.tool.trim();
        let pattern = stored.pattern.trim();
        if pattern.len() > MAX_PATTERN_BYTES {
            return Err(RuleError::TooLong);
        }
        if pattern.chars().any(char::is_control) {
            return Err(RuleError::BadPattern {
                pattern: pattern.escape_debug().to_string(),
                reason: "a pattern is one line of text".into(),
            });
        }
        let (command, path) = match tool {
            "*" => {
                let command = CommandPattern::parse(pattern);
                let path = PathPattern::parse(pattern);
                match (command, path) {
                    (Err(e), Err(_)) => return Err(e),
                    (command, path) => (command.ok(), path.ok()),
                }
            }
            name => match ToolSet::standard().get(name).map(|t| t.kind()) {
                Some(ToolKind::Command) => (Some(CommandPattern::parse(pattern)?), None),
                Some(ToolKind::Read | ToolKind::Write) => (None, Some(PathPattern::parse(pattern)?)),
                None => {
                    let known: Vec<&str> = ToolSet::standard().iter().map(|t| t.name()).collect();
                    return Err(RuleError::UnknownTool { name: name.to_owned(), known: known.join(", ") });
                }
            },
        };
        Ok(Self { effect: stored.effect, tool: tool.to_owned(), pattern: pattern.to_owned(), command, path })
    }

    /// The rule as stored: trimmed.
    pub fn to_stored(&self) -> PermissionRule {
        PermissionRule { effect: self.effect, tool: self.tool.clone(), pattern: self.pattern.clone() }
    }

    /// True when the pattern is `*`: everything the tool does, also what cannot be read.
    fn is_any(&self) -> bool {
        self.pattern == "*"
    }

    /// True when the rule, as an `allow`, lets the simple command run.
    fn allows_command(&self, part: &Part) -> bool {
        self.command.as_ref().is_some_and(|c| c.allows(part))
    }

    /// True when the rule, as a `deny` or `ask`, matches the simple command however it reads.
    fn touches_command(&self, part: &Part) -> bool {
        self.command.as_ref().is_some_and(|c| c.touches(part))
    }

    /// True when the rule has something to say about commands.
    fn is_about_commands(&self) -> bool {
        self.command.is_some()
    }

    fn matches_command_text(&self, text: &str) -> bool {
        self.command.as_ref().is_some_and(|c| c.matches_text(text))
    }

    fn matches_path(&self, names: &[Vec<char>]) -> bool {
        self.path.as_ref().is_some_and(|p| p.matches(names))
    }

    /// True when the rule matches the folder or anything a walk of it reaches.
    fn matches_below(&self, names: &[Vec<char>]) -> bool {
        self.path.as_ref().is_some_and(|p| p.matches_below(names))
    }
}

/// Parses a rule as a person gives it, for storing: the rule trimmed, or why it cannot be used.
pub fn parse(effect: RuleEffect, tool: &str, pattern: &str) -> Result<PermissionRule, RuleError> {
    Ok(Rule::parse(&PermissionRule { effect, tool: tool.into(), pattern: pattern.into() })?.to_stored())
}

#[cfg(test)]
mod tests;
