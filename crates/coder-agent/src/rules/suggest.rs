//! The rule an approval card offers ("Always allow `cargo test …` in this project"): for a
//! command, its first words; for a file, its folder.
//!
//! A suggestion is made only when the rule it proposes would let this very call run next time
//! on its own: never for a chain, a command that writes a file through a redirection, a line
//! that cannot be split, or a shell or wrapper that runs other commands (allowing `bash …` or
//! `sudo …` with one click would allow far more than the person sees).

use std::collections::BTreeMap;

use coder_domain::{PermissionRule, RuleEffect, ToolApproval};
use serde::Serialize;

use super::call::{Call, Subject};
use super::pattern::{escape_path, path_names};
use super::shell;
use super::{RuleSet, Verdict, READ_ONLY};
use crate::tools::{ToolKind, ToolSet};

/// A rule to offer, and how to show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(rename = "RuleSuggestion"))]
pub struct Suggestion {
    pub rule: PermissionRule,
    /// What the button names: `cargo test …`, `src/app/**`, `README.md`.
    pub label: String,
}

/// Programs that run other commands, or whatever their input or arguments say: shells,
/// wrappers, interpreters, build runners and remote shells. Never offered: allowing `python`
/// or `make` with one click would allow far more than the person sees.
const RUNS_OTHERS: [&str; 49] = [
    "sh",
    "bash",
    "zsh",
    "dash",
    "ksh",
    "mksh",
    "ash",
    "fish",
    "eval",
    "exec",
    "sudo",
    "doas",
    "su",
    "env",
    "xargs",
    "nohup",
    "timeout",
    "nice",
    "stdbuf",
    "setsid",
    "command",
    "builtin",
    "source",
    ".",
    "find",
    "python",
    "python2",
    "python3",
    "node",
    "nodejs",
    "deno",
    "bun",
    "perl",
    "ruby",
    "php",
    "lua",
    "awk",
    "gawk",
    "mawk",
    "nawk",
    "make",
    "npx",
    "ssh",
    "busybox",
    "toybox",
    "watch",
    "parallel",
    "osascript",
    "pwsh",
];

/// The project rule that would allow this call of `tool` from now on, if there is a sensible one
/// and, added to the project's rules (`project`, `always_allow`) beside the `global` ones, it
/// would really let the call run: not when an `ask` or `deny` rule would still stop it.
pub fn suggest(
    tools: &ToolSet,
    tool: &str,
    input: &serde_json::Value,
    project: &[PermissionRule],
    global: &[PermissionRule],
    always_allow: &BTreeMap<String, ToolApproval>,
) -> Option<Suggestion> {
    let field = |name: &str| input.get(name).and_then(serde_json::Value::as_str);
    let (pattern, label) = match tools.get(tool)?.kind() {
        ToolKind::Command => {
            let prefix = command_prefix(field("command")?)?;
            (prefix.clone(), format!("{prefix} …"))
        }
        ToolKind::Read | ToolKind::Write => {
            let path = field("path")?;
            let names = path_names(path)?;
            match names.split_last()? {
                (file, []) => {
                    let file: String = file.iter().collect();
                    (format!("/{}", escape_path(&file)), file)
                }
                (_, folder) => {
                    let folder: Vec<String> =
                        folder.iter().map(|n| escape_path(&n.iter().collect::<String>())).collect();
                    let pattern = format!("{}/**", folder.join("/"));
                    (pattern.clone(), pattern)
                }
            }
        }
    };
    let rule = super::parse(RuleEffect::Allow, tool, &pattern).ok()?;
    // The rule must allow this very call on its own.
    let alone = RuleSet::new(std::slice::from_ref(&rule), &[], &Default::default());
    let call = Call::new(tools, tool, input, None);
    if matches!(call.subject, Subject::Nothing) {
        return None;
    }
    let allows = |set: RuleSet| matches!(set.decide(&call), Verdict::Allow { by } if by != READ_ONLY);
    let with_it = [project, std::slice::from_ref(&rule)].concat();
    (allows(alone) && allows(RuleSet::new(&with_it, global, always_allow)))
        .then_some(Suggestion { rule, label })
}

/// The command's program and, when it reads as a subcommand, its next word: `cargo test`,
/// `git status`, `ls`.
fn command_prefix(command: &str) -> Option<String> {
    let parts = shell::split(command).ok()?;
    let [part] = parts.as_slice() else { return None };
    if part.writes_file || part.runs_unseen().is_some() {
        return None;
    }
    let mut words = part.text.split(' ');
    let program = words.next()?;
    let plain = |w: &str| {
        !w.is_empty()
            && !w.starts_with('-')
            && w.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | ':' | '@' | '%' | '/' | '-')
            })
    };
    let name = program.rsplit('/').next().unwrap_or_default();
    // `python3.12`, `php8`: the family's name.
    let family = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    if !plain(program) || RUNS_OTHERS.contains(&name) || RUNS_OTHERS.contains(&family) {
        return None;
    }
    let subcommand = words.next().filter(|w| {
        w.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    });
    Some(match subcommand {
        Some(sub) => format!("{program} {sub}"),
        None => program.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn command(line: &str) -> Option<(String, String)> {
        suggest(&ToolSet::standard(), "run_command", &json!({ "command": line }), &[], &[], &BTreeMap::new())
            .map(|s| (s.rule.pattern, s.label))
    }

    fn write(path: &str) -> Option<(String, String)> {
        suggest(
            &ToolSet::standard(),
            "write_file",
            &json!({ "path": path, "content": "" }),
            &[],
            &[],
            &BTreeMap::new(),
        )
        .map(|s| (s.rule.pattern, s.label))
    }

    #[test]
    fn a_command_is_offered_by_its_first_words() {
        assert_eq!(command("cargo test -p coder-agent"), Some(("cargo test".into(), "cargo test …".into())));
        assert_eq!(command("git status"), Some(("git status".into(), "git status …".into())));
        assert_eq!(command("ls -la src"), Some(("ls".into(), "ls …".into())));
        assert_eq!(command("npm run build 2>&1"), Some(("npm run".into(), "npm run …".into())));
        assert_eq!(command("./gradlew Build"), Some(("./gradlew".into(), "./gradlew …".into())));
    }

    #[test]
    fn what_would_allow_more_than_is_shown_is_not_offered() {
        for line in [
            "cargo test && rm -rf x",
            "cargo test; ls",
            "ls | wc -l",
            "echo $(id)",
            "git status > notes.txt",
            "bash -c 'ls'",
            "bash run.sh",
            "sudo ls",
            "FOO=1 cargo test",
            "xargs rm",
            "'quoted' program",
            "python script.py",
            "python3 -m http.server",
            "python3.12 x.py",
            "node app.js",
            "perl x.pl",
            "ruby x.rb",
            "awk '{print}' f",
            "make build",
            "npx prettier",
            "deno run x.ts",
            "php x.php",
            "lua x.lua",
            "ssh host ls",
            "su root",
            "busybox ls",
            "bash",
            "sh x.sh",
            "zsh",
            "env",
            "/usr/bin/env ls",
            "xargs",
            "/usr/bin/python3 x.py",
            "echo 'unclosed",
            "",
        ] {
            assert_eq!(command(line), None, "{line:?} must not be offered");
        }
        let none = |tool: &str, input: serde_json::Value| {
            suggest(&ToolSet::standard(), tool, &input, &[], &[], &BTreeMap::new())
        };
        assert_eq!(none("run_command", json!({})), None);
        assert_eq!(none("update_plan", json!({"items": []})), None);
        assert_eq!(none("made_up", json!({"command": "ls"})), None);
    }

    #[test]
    fn a_rule_that_an_ask_or_deny_would_still_override_is_not_offered() {
        let input = json!({ "command": "cargo test -p x" });
        let offer = |project: &[PermissionRule], global: &[PermissionRule]| {
            suggest(&ToolSet::standard(), "run_command", &input, project, global, &BTreeMap::new())
        };
        let rule = |effect, pattern: &str| PermissionRule {
            effect,
            tool: "run_command".into(),
            pattern: pattern.into(),
        };
        assert!(offer(&[rule(RuleEffect::Allow, "git status")], &[]).is_some(), "other rules do not matter");
        assert_eq!(
            offer(&[], &[rule(RuleEffect::Ask, "cargo*")]),
            None,
            "a global ask would still make it wait"
        );
        assert_eq!(offer(&[rule(RuleEffect::Deny, "* -p *")], &[]), None, "a deny would still refuse it");
    }

    #[test]
    fn a_file_is_offered_by_its_folder() {
        assert_eq!(write("src/app/main.rs"), Some(("src/app/**".into(), "src/app/**".into())));
        assert_eq!(write("./docs/guide.md"), Some(("docs/**".into(), "docs/**".into())));
        assert_eq!(
            write("README.md"),
            Some(("/README.md".into(), "README.md".into())),
            "a root file: itself"
        );
        assert_eq!(write("my docs/a [1].md"), Some(("my\\ docs/**".into(), "my\\ docs/**".into())));
        assert_eq!(write("../outside.txt"), None);
        assert_eq!(write("/etc/passwd"), None);
        assert_eq!(write("."), None);
    }
}
