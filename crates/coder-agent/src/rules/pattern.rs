//! A rule's pattern, parsed: as a command pattern for `run_command`, as a path pattern for the
//! file tools, as both for a rule about every tool (`*`).
//!
//! Command patterns match one simple command (see `shell`):
//! - `*` alone matches every command, also one that writes a file through a redirection;
//! - a pattern with `*` or `?` is a wildcard over the whole command, `*` spanning spaces:
//!   `cargo test*` matches `cargo test`, `cargo test -p x` (and `cargo testing`);
//! - any other pattern is a prefix of whole words: `git status` matches `git status` and
//!   `git status --short`, never `git statuses`.
//!
//! Spaces in a pattern and in a command are compared as one space. A command is matched as its
//! program receives it, not as written: quotes removed, backslash escapes resolved, line
//! continuations joined (a word that holds a space or a quote is shown in single quotes).
//! `deny` and `ask` also match it with its program reduced to its file name and as written, so
//! that `'rm' -rf x`, `\rm -rf x` and `/bin/rm -rf x` are all denied by `rm *`; an `allow`
//! matches the program as given, so that `git status` does not allow `./git status`. A command
//! that runs code the line does not show (`Part::runs_unseen`) is allowed only by `*`. A command
//! whose output goes to a file is allowed only by `*`: a rule about running `git status` says
//! nothing about overwriting `src/main.rs`. A command pattern is one command: a pattern with `;`, `&&` or `|`
//! is refused, as is `!`, which only paths have.
//!
//! Path patterns are globs relative to the project root, separated by spaces (`\ ` for a space
//! in a name): `*`, `?` and `[…]` within a name, `**` for any depth, `{a,b}` alternatives. A
//! glob without a `/` matches a name at any depth (`*.rs`, `.env`); one with a `/` is anchored at
//! the root (`src/**`, `/README.md`). A glob that matches a folder matches all inside it. A glob
//! that starts with `!` excludes: a path matches when it matches a glob that does not (or there
//! is none) and no `!` glob — `src/** !src/secrets` is everything in `src` but its secrets,
//! `!.env` is every path but `.env` files.

use super::glob::{self, PathGlob, Token};
use super::shell::{self, Part};
use super::RuleError;

/// Largest pattern, in bytes (the log's own limit).
pub const MAX_PATTERN_BYTES: usize = coder_domain::limits::RULE_PATTERN_BYTES;

/// A command pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CommandPattern {
    /// `*`: every command.
    Any,
    /// Whole words at the start of the command.
    Prefix(String),
    /// A wildcard over the whole command.
    Wildcard(Vec<Token>),
}

impl CommandPattern {
    pub(crate) fn parse(pattern: &str) -> Result<Self, RuleError> {
        let normalized = normalize(pattern);
        if normalized.is_empty() {
            return Err(RuleError::EmptyPattern);
        }
        if normalized == "*" {
            return Ok(Self::Any);
        }
        let bad = |reason: &str| RuleError::BadPattern {
            pattern: pattern.trim().to_owned(),
            reason: reason.to_owned(),
        };
        if normalized.starts_with('!') {
            return Err(bad("`!` excludes paths; a command rule cannot exclude, use a `deny` rule"));
        }
        // The pattern must read as one command, whatever its wildcards stand for.
        match shell::split(&normalized.replace(['*', '?'], "x")) {
            Ok(parts) if parts.len() == 1 => {}
            Ok(_) => return Err(bad("a rule matches one command; write a rule for each command of a chain")),
            Err(e) => return Err(bad(&format!("it does not read as a command ({e})"))),
        }
        if normalized.contains(['*', '?', '\\']) {
            Ok(Self::Wildcard(glob::tokens(&normalized, false, pattern.trim())?))
        } else {
            Ok(Self::Prefix(normalized))
        }
    }

    /// True when the pattern, as an `allow`, lets the simple command `part` run.
    pub(crate) fn allows(&self, part: &Part) -> bool {
        match self {
            Self::Any => true,
            _ if part.writes_file || part.runs_unseen().is_some() => false,
            _ => self.matches_normalized(&part.canonical(false)),
        }
    }

    /// True when the pattern, as a `deny` or an `ask`, matches the simple command `part` in
    /// any of the ways it can be read: as written, as the program receives it, with its
    /// program reduced to its file name. Where its output goes does not matter.
    pub(crate) fn touches(&self, part: &Part) -> bool {
        match self {
            Self::Any => true,
            _ => [
                part.text.clone(),
                part.canonical(false),
                part.canonical(true),
                part.loose(false),
                part.loose(true),
            ]
            .iter()
            .any(|text| self.matches_normalized(&normalize(text))),
        }
    }

    /// True when the pattern matches the command line as text, for a line that cannot be
    /// split: only a `deny` or `ask` rule is matched so, never an `allow`.
    pub(crate) fn matches_text(&self, command: &str) -> bool {
        self.matches_normalized(&normalize(command))
    }

    /// True when the pattern matches `text`, a command with single spaces between its words.
    fn matches_normalized(&self, text: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Prefix(prefix) => {
                text == prefix || text.strip_prefix(prefix.as_str()).is_some_and(|rest| rest.starts_with(' '))
            }
            Self::Wildcard(tokens) => glob::wildcard(tokens, &text.chars().collect::<Vec<_>>()),
        }
    }
}

/// Words separated by one space, trimmed.
fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A path pattern: globs that include and globs that exclude.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathPattern {
    include: Vec<PathGlob>,
    exclude: Vec<PathGlob>,
    /// `*` alone: every path, and calls with none.
    any: bool,
}

impl PathPattern {
    pub(crate) fn parse(pattern: &str) -> Result<Self, RuleError> {
        let what = pattern.trim();
        let words = split_words(what);
        if words.is_empty() {
            return Err(RuleError::EmptyPattern);
        }
        if words == ["*"] {
            return Ok(Self { include: Vec::new(), exclude: Vec::new(), any: true });
        }
        let bad =
            |reason: &str| RuleError::BadPattern { pattern: what.to_owned(), reason: reason.to_owned() };
        let (mut include, mut exclude) = (Vec::new(), Vec::new());
        for word in words {
            let (list, glob) = match word.strip_prefix('!') {
                Some(glob) => (&mut exclude, glob),
                None => (&mut include, word.as_str()),
            };
            if glob.is_empty() {
                return Err(bad("a `!` needs a glob after it"));
            }
            for alternative in glob::expand_braces(glob, what)? {
                list.push(PathGlob::parse(&anchored(&alternative), what)?);
            }
        }
        if include.len() + exclude.len() > glob::MAX_ALTERNATIVES {
            return Err(bad("it has too many globs"));
        }
        Ok(Self { include, exclude, any: false })
    }

    /// True when the path (its names from the root; none for the root) matches.
    pub(crate) fn matches(&self, names: &[Vec<char>]) -> bool {
        self.any
            || ((self.include.is_empty() || self.include.iter().any(|g| g.matches(names)))
                && !self.exclude.iter().any(|g| g.matches(names)))
    }

    /// True when the pattern matches the folder (its names from the root) or something a walk
    /// of it reaches. An excluding glob that matches the folder matches all inside it too.
    pub(crate) fn matches_below(&self, names: &[Vec<char>]) -> bool {
        self.any
            || ((self.include.is_empty() || self.include.iter().any(|g| g.matches_below(names)))
                && !self.exclude.iter().any(|g| g.matches(names)))
    }
}

/// The glob as one anchored at the root that also matches everything inside what it matches:
/// `/a` → `a/**`, `a/b` → `a/b/**`, `a` → `**/a/**`, `a/` → `a/**`.
fn anchored(glob: &str) -> String {
    let trimmed = glob.strip_suffix('/').unwrap_or(glob);
    let anchored = match trimmed.strip_prefix('/') {
        Some(rest) => rest.to_owned(),
        None if trimmed.contains('/') => trimmed.to_owned(),
        None => format!("**/{trimmed}"),
    };
    if anchored.is_empty() {
        "**".to_owned()
    } else {
        format!("{anchored}/**")
    }
}

/// The pattern's globs: split at spaces, except escaped ones (`\ `), which stay escaped.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                word.push(c);
                word.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// A path as the names a path pattern matches: relative to the root, `/`-separated, without
/// `.` or empty names. `None` for a path the tools refuse or that cannot be read with
/// confidence: absolute, with `..` or a NUL.
pub(crate) fn path_names(path: &str) -> Option<Vec<Vec<char>>> {
    if path.starts_with('/') || path.contains('\0') {
        return None;
    }
    let mut names = Vec::new();
    for name in path.split('/') {
        match name {
            "" | "." => {}
            ".." => return None,
            name => names.push(name.chars().collect()),
        }
    }
    Some(names)
}

/// Escapes `text` so a path pattern reads it as a literal name or path.
pub(crate) fn escape_path(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        if matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\' | ',')
            || c.is_whitespace()
            || (i == 0 && c == '!')
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(pattern: &str, text: &str) -> bool {
        CommandPattern::parse(pattern).unwrap().allows(&Part::from_text(text))
    }

    fn path(pattern: &str, p: &str) -> bool {
        PathPattern::parse(pattern).unwrap().matches(&path_names(p).expect("a readable path"))
    }

    #[test]
    fn a_wildcard_command_pattern_matches_the_whole_command() {
        assert!(command("cargo test*", "cargo test"));
        assert!(command("cargo test*", "cargo test -p coder-agent"));
        assert!(command("cargo test*", "cargo testing"), "a wildcard is not a word boundary");
        assert!(!command("cargo test*", "cargo build"));
        assert!(!command("cargo test*", "sudo cargo test"), "anchored at the start");
        assert!(command("npm run ?est", "npm run test"));
        assert!(command("echo \\*", "echo *") && !command("echo \\*", "echo x"));
    }

    #[test]
    fn a_plain_command_pattern_is_a_prefix_of_whole_words() {
        assert!(command("git status", "git status"));
        assert!(command("git status", "git status --short"));
        assert!(!command("git status", "git statuses"));
        assert!(!command("git status", "git"));
        assert!(command("  git   status ", "git status -s"), "spaces in the pattern are normalized");
    }

    #[test]
    fn only_star_allows_a_command_that_writes_a_file() {
        let writes = Part { writes_file: true, ..Part::from_text("git status") };
        assert!(!CommandPattern::parse("git status").unwrap().allows(&writes));
        assert!(!CommandPattern::parse("git*").unwrap().allows(&writes));
        assert!(CommandPattern::parse("*").unwrap().allows(&writes));
        assert!(CommandPattern::parse("git status").unwrap().touches(&writes), "a deny still matches it");
    }

    #[test]
    fn bad_command_patterns_are_refused_with_their_reason() {
        assert_eq!(CommandPattern::parse("  "), Err(RuleError::EmptyPattern));
        for bad in ["!rm", "cargo test && rm", "ls | head", "a; b", "echo 'open", "echo \\"] {
            assert!(
                matches!(CommandPattern::parse(bad), Err(RuleError::BadPattern { .. })),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn path_globs_are_relative_to_the_root() {
        assert!(path("src/**", "src/main.rs") && path("src/**", "src/a/b.rs"));
        assert!(!path("src/**", "tests/a.rs") && !path("src/**", "lib/src/a.rs"), "anchored");
        assert!(path("src", "src/main.rs"), "a folder's glob matches what is inside it");
        assert!(path("/README.md", "README.md") && !path("/README.md", "docs/README.md"));
        assert!(path("*.rs", "main.rs") && path("*.rs", "src/deep/main.rs"), "no `/`: any depth");
        assert!(path(".env", ".env") && path(".env", "config/.env") && !path(".env", ".envrc"));
        assert!(path("src/*.{ts,tsx}", "src/a.tsx") && !path("src/*.{ts,tsx}", "src/a.js"));
        assert!(path("docs/", "docs/a.md"), "a trailing `/` is the folder");
        assert!(path("my\\ notes/*", "my notes/a.txt"), "an escaped space is part of a name");
        assert!(PathPattern::parse("./src/**").is_err(), "a rule's path has no `.` names");
    }

    #[test]
    fn excluding_globs_take_paths_out() {
        assert!(path("src/** !src/secrets", "src/main.rs"));
        assert!(!path("src/** !src/secrets", "src/secrets/key.pem"));
        assert!(path("!.env", "src/main.rs") && path("!.env", "README.md"));
        assert!(!path("!.env", ".env") && !path("!.env", "config/.env"));
        assert!(path("!.env", ""), "the project root itself is not a .env file");
    }

    #[test]
    fn paths_are_read_as_the_tools_read_them() {
        assert_eq!(
            path_names("./src//main.rs"),
            Some(vec!["src".chars().collect(), "main.rs".chars().collect()])
        );
        assert_eq!(path_names("."), Some(Vec::new()));
        assert_eq!(path_names("/etc/passwd"), None);
        assert_eq!(path_names("src/../.env"), None);
        assert_eq!(path_names("a\0b"), None);
    }

    #[test]
    fn bad_path_patterns_are_refused() {
        assert_eq!(PathPattern::parse(" \t "), Err(RuleError::EmptyPattern));
        for bad in ["src/[oops", "!", "a//b", "../up", "src/**.rs", "{a,b", "x\\"] {
            assert!(
                matches!(PathPattern::parse(bad), Err(RuleError::BadPattern { .. })),
                "{bad:?} must be refused"
            );
        }
    }

    #[test]
    fn an_escaped_path_matches_itself_only() {
        for name in ["a*b", "weird [1].txt", "{x,y}", "!bang", "back\\slash", "a?"] {
            let pattern = format!("/{}", escape_path(name));
            assert!(path(&pattern, name), "{pattern:?} must match {name:?}");
            assert!(!path(&pattern, "other"), "{pattern:?} must not match other names");
        }
    }
}
