//! Deciding calls against rules: each case of the precedence, every kind of chain, the defaults
//! and the rules from before rules.

use std::collections::BTreeMap;

use coder_domain::{PermissionRule, RuleEffect, ToolApproval};
use serde_json::json;

use super::*;

fn rule(effect: RuleEffect, tool: &str, pattern: &str) -> PermissionRule {
    PermissionRule { effect, tool: tool.into(), pattern: pattern.into() }
}

fn allow(tool: &str, pattern: &str) -> PermissionRule {
    rule(RuleEffect::Allow, tool, pattern)
}

fn ask(tool: &str, pattern: &str) -> PermissionRule {
    rule(RuleEffect::Ask, tool, pattern)
}

fn deny(tool: &str, pattern: &str) -> PermissionRule {
    rule(RuleEffect::Deny, tool, pattern)
}

fn run(command: &str) -> Call {
    Call::new(&ToolSet::standard(), "run_command", &json!({ "command": command }), None)
}

fn write(path: &str) -> Call {
    Call::new(&ToolSet::standard(), "write_file", &json!({ "path": path, "content": "x" }), None)
}

fn read(path: &str) -> Call {
    Call::new(&ToolSet::standard(), "read_file", &json!({ "path": path }), None)
}

fn decide(project: &[PermissionRule], global: &[PermissionRule], call: &Call) -> Verdict {
    RuleSet::new(project, global, &BTreeMap::new()).decide(call)
}

fn allowed_by(by: &str) -> Verdict {
    Verdict::Allow { by: by.into() }
}

fn denied_by(pattern: &str, scope: Scope) -> Verdict {
    Verdict::Deny { by: RuleName::Rule { pattern: pattern.into(), scope } }
}

const ASK: Verdict = Verdict::Ask { by: None };

#[test]
fn an_allow_rule_runs_a_matching_command_and_names_itself() {
    let rules = [allow("run_command", "cargo test*")];
    assert_eq!(decide(&rules, &[], &run("cargo test -p x")), allowed_by("rule `cargo test*` (project)"));
    assert_eq!(decide(&[], &rules, &run("cargo test")), allowed_by("rule `cargo test*` (global)"));
    assert_eq!(decide(&rules, &[], &run("cargo build")), ASK, "no rule matches: the default asks");
}

#[test]
fn deny_wins_over_ask_and_ask_over_allow_wherever_they_are() {
    let call = run("rm -rf target");
    let allow_all = [allow("run_command", "*")];
    let ask_rm = [ask("run_command", "rm*")];
    let deny_rm = [deny("run_command", "rm *")];
    let both = |a: &[PermissionRule], b: &[PermissionRule]| [a, b].concat();
    assert_eq!(decide(&allow_all, &deny_rm, &call), denied_by("rm *", Scope::Global));
    assert_eq!(decide(&deny_rm, &allow_all, &call), denied_by("rm *", Scope::Project));
    assert_eq!(decide(&both(&allow_all, &ask_rm), &deny_rm, &call), denied_by("rm *", Scope::Global));
    let asked = |scope| Verdict::Ask { by: Some(RuleName::Rule { pattern: "rm*".into(), scope }) };
    assert_eq!(decide(&allow_all, &ask_rm, &call), asked(Scope::Global), "ask beats a project allow");
    assert_eq!(decide(&both(&ask_rm, &allow_all), &[], &call), asked(Scope::Project), "whatever the order");
    assert_eq!(decide(&allow_all, &[], &call), allowed_by("rule `*` (project)"));
}

#[test]
fn a_chain_is_allowed_only_when_every_part_is() {
    let rules = [allow("run_command", "cargo test*"), allow("run_command", "git status")];
    for chain in [
        "cargo test; rm -rf x",
        "cargo test && rm -rf x",
        "cargo test || rm -rf x",
        "cargo test | rm -rf x",
        "cargo test |& rm -rf x",
        "cargo test & rm -rf x",
        "cargo test\nrm -rf x",
        "cargo test $(rm -rf x)",
        "cargo test `rm -rf x`",
        "cargo test \"$(rm -rf x)\"",
        "(rm -rf x) && cargo test",
        "cargo test <(rm -rf x)",
        "cargo test > >(rm -rf x)",
        "if cargo test; then rm -rf x; fi",
        "cargo test -- $(echo $(rm -rf x))",
        "cargo test ${X:-$(rm -rf x)}",
    ] {
        assert_eq!(decide(&rules, &[], &run(chain)), ASK, "{chain:?} hides a command no rule allows");
    }
    assert_eq!(
        decide(&rules, &[], &run("cargo test 2>&1 | git status")),
        allowed_by("rules `cargo test*` (project), `git status` (project)"),
        "every part allowed, each rule named"
    );
    assert_eq!(
        decide(
            &[allow("run_command", "cargo test*")],
            &[allow("run_command", "git status")],
            &run("git status && cargo test")
        ),
        allowed_by("rules `git status` (global), `cargo test*` (project)"),
        "parts may be allowed from both scopes"
    );
    assert_eq!(
        decide(&rules, &[], &run("cargo test 'a; rm -rf x'")),
        allowed_by("rule `cargo test*` (project)"),
        "quoted: one part"
    );
}

#[test]
fn a_deny_matching_any_part_denies_the_chain() {
    let rules = [allow("run_command", "*"), deny("run_command", "rm *")];
    for chain in [
        "ls; rm -rf x",
        "ls && rm -rf x",
        "ls || rm -rf x",
        "ls | rm -rf x",
        "ls\nrm -rf x",
        "echo $(rm -rf x)",
        "echo `rm -rf x`",
        "(cd sub && rm -rf x)",
        "diff <(rm -rf x) y",
        "sudo rm -rf x",
        "FOO=1 rm -rf x",
        "bash -c 'rm -rf x'",
        "find . -exec rm -rf {} \\;",
        "ls | xargs rm -rf",
        "eval 'rm -rf x'",
        "cat <<EOF\n$(rm -rf x)\nEOF",
    ] {
        assert_eq!(decide(&rules, &[], &run(chain)), denied_by("rm *", Scope::Project), "{chain:?}");
    }
    assert_eq!(
        decide(&rules, &[], &run("echo 'rm -rf x'")),
        allowed_by("rule `*` (project)"),
        "quoted text runs nothing"
    );
}

#[test]
fn what_cannot_be_split_is_never_allowed_but_can_be_denied() {
    let rules = [allow("run_command", "*"), deny("run_command", "rm *")];
    for line in ["echo 'unclosed", "echo $(open", "for f in *; do ls; done", "echo \\", ""] {
        assert_eq!(decide(&rules, &[], &run(line)), ASK, "{line:?} cannot be read: the person decides");
    }
    assert_eq!(
        decide(&rules, &[], &run("rm -rf x 'oops")),
        denied_by("rm *", Scope::Project),
        "matched as text"
    );
    let huge = format!("ls {}", "a ".repeat(40_000));
    assert_eq!(decide(&rules, &[], &run(&huge)), ASK, "too long to read with confidence");
}

#[test]
fn a_redirect_to_a_file_is_allowed_only_by_star() {
    let call = run("git status > src/main.rs");
    assert_eq!(decide(&[allow("run_command", "git status")], &[], &call), ASK);
    assert_eq!(decide(&[allow("run_command", "git*")], &[], &call), ASK);
    assert_eq!(decide(&[allow("run_command", "*")], &[], &call), allowed_by("rule `*` (project)"));
    assert_eq!(
        decide(&[allow("run_command", "git status")], &[], &run("git status > /dev/null 2>&1")),
        allowed_by("rule `git status` (project)"),
        "discarding output writes nothing"
    );
}

#[test]
fn path_rules_match_the_file_relative_to_the_root() {
    let rules = [allow("write_file", "src/** !src/secrets")];
    assert_eq!(decide(&rules, &[], &write("src/lib.rs")), allowed_by("rule `src/** !src/secrets` (project)"));
    assert_eq!(
        decide(&rules, &[], &write("./src//lib.rs")),
        allowed_by("rule `src/** !src/secrets` (project)")
    );
    assert_eq!(decide(&rules, &[], &write("src/secrets/key.pem")), ASK, "excluded by `!`");
    assert_eq!(decide(&rules, &[], &write("README.md")), ASK);
    assert_eq!(decide(&rules, &[], &write("../src/lib.rs")), ASK, "an escape is never allowed");
    assert_eq!(decide(&rules, &[], &write("/abs/src/lib.rs")), ASK);
    let env = [allow("write_file", "*"), deny("*", ".env")];
    assert_eq!(decide(&env, &[], &write("config/.env")), denied_by(".env", Scope::Project));
    assert_eq!(decide(&env, &[], &write("config/app.toml")), allowed_by("rule `*` (project)"));
}

#[test]
fn read_only_tools_run_unless_a_rule_asks_or_denies() {
    assert_eq!(decide(&[], &[], &read("src/lib.rs")), allowed_by(READ_ONLY));
    assert_eq!(decide(&[], &[], &read("../outside")), allowed_by(READ_ONLY), "the tool itself refuses it");
    let guarded = [deny("read_file", ".env"), ask("*", "secrets/**")];
    assert_eq!(decide(&guarded, &[], &read(".env")), denied_by(".env", Scope::Project));
    assert_eq!(
        decide(&[], &guarded, &read("secrets/a")),
        Verdict::Ask { by: Some(RuleName::Rule { pattern: "secrets/**".into(), scope: Scope::Global }) }
    );
    assert_eq!(decide(&guarded, &[], &read("src/lib.rs")), allowed_by(READ_ONLY));
    let list = Call::new(&ToolSet::standard(), "list_files", &json!({}), None);
    assert_eq!(
        decide(&[ask("list_files", "*")], &[], &list),
        Verdict::Ask { by: Some(RuleName::Rule { pattern: "*".into(), scope: Scope::Project }) }
    );
}

#[test]
fn always_allow_from_before_rules_is_an_allow_for_the_whole_tool() {
    let legacy = BTreeMap::from([
        ("run_command".to_string(), ToolApproval::AlwaysAllow),
        ("write_file".to_string(), ToolApproval::Ask),
    ]);
    let set = RuleSet::new(&[], &[], &legacy);
    assert_eq!(set.decide(&run("make && ./run")), allowed_by("always allow run_command in this project"));
    assert_eq!(set.decide(&write("src/a.rs")), ASK, "`Ask` adds nothing to the default");
    let with_deny = RuleSet::new(&[], &[deny("run_command", "rm *")], &legacy);
    assert_eq!(with_deny.decide(&run("make; rm -rf /")), denied_by("rm *", Scope::Global), "deny still wins");
    assert_eq!(with_deny.decide(&run("echo 'open")), ASK, "and an unreadable line still asks");
    let both = RuleSet::new(&[allow("run_command", "make")], &[], &legacy);
    assert_eq!(
        both.decide(&run("make && ./run")),
        allowed_by("rule `make` (project), always allow run_command in this project")
    );
}

#[test]
fn unknown_tools_are_never_allowed() {
    let call = Call::new(&ToolSet::standard(), "made_up", &json!({"command": "ls"}), None);
    assert_eq!(decide(&[allow("*", "*")], &[], &call), ASK);
    assert_eq!(decide(&[deny("*", "*")], &[], &call), denied_by("*", Scope::Project));
}

#[test]
fn a_rule_for_every_tool_reads_its_pattern_per_tool() {
    let rules = [deny("*", "secrets/**"), allow("*", "cargo test*")];
    assert_eq!(decide(&rules, &[], &write("secrets/a")), denied_by("secrets/**", Scope::Project));
    assert_eq!(decide(&rules, &[], &run("cargo test")), allowed_by("rule `cargo test*` (project)"));
}

#[test]
fn a_stored_rule_that_cannot_be_read_allows_nothing_and_makes_its_tool_ask() {
    let broken_allow = [allow("run_command", "ls | head"), allow("run_command", "ls")];
    assert_eq!(decide(&broken_allow, &[], &run("ls")), allowed_by("rule `ls` (project)"));
    let broken_deny = [allow("run_command", "*"), deny("run_command", "echo 'open")];
    assert_eq!(
        decide(&broken_deny, &[], &run("ls")),
        Verdict::Ask { by: Some(RuleName::Rule { pattern: "echo 'open".into(), scope: Scope::Project }) },
        "a deny that cannot be read may have meant this call"
    );
    assert_eq!(decide(&broken_deny, &[], &write("a")), ASK, "other tools are not affected");
}

#[test]
fn a_long_list_of_allowing_rules_is_named_in_short() {
    let rules: Vec<PermissionRule> = (0..8).map(|i| allow("run_command", &format!("cmd{i}"))).collect();
    let chain: Vec<String> = (0..8).map(|i| format!("cmd{i}")).collect();
    let Verdict::Allow { by } = decide(&rules, &[], &run(&chain.join(" && "))) else { panic!("allowed") };
    assert_eq!(by, "rules `cmd0` (project), `cmd1` (project), `cmd2` (project), `cmd3` (project) and 4 more");
}

#[test]
fn parsing_refuses_what_cannot_be_used_with_its_code() {
    let code = |tool: &str, pattern: &str| parse(RuleEffect::Allow, tool, pattern).map_err(|e| e.code());
    assert_eq!(code("run_command", " "), Err("rule_pattern_empty"));
    assert_eq!(code("write_file", "src/[x"), Err("rule_pattern_invalid"));
    assert_eq!(code("run_command", "a && b"), Err("rule_pattern_invalid"));
    assert_eq!(code("run_command", "!rm"), Err("rule_pattern_invalid"));
    assert_eq!(code("run_command", "a\nb"), Err("rule_pattern_invalid"));
    assert_eq!(code("run_comand", "ls"), Err("rule_tool_unknown"));
    assert_eq!(code("", "ls"), Err("rule_tool_unknown"));
    assert_eq!(code("run_command", &"x".repeat(MAX_PATTERN_BYTES + 1)), Err("too_large"));
    assert_eq!(
        parse(RuleEffect::Deny, " run_command ", " rm * ").unwrap(),
        deny("run_command", "rm *"),
        "trimmed"
    );
    assert!(parse(RuleEffect::Deny, "*", "!.env").is_ok(), "`!` reads as a path for every tool");
}

mod hostile {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        /// Any pattern parses or is refused, and any command is decided, without a panic; an
        /// allowed command always names what allowed it.
        #[test]
        fn any_rule_and_any_command_are_decided(
            pattern in "[a-z *?!\\[\\]{},/\\\\.'\"$()|;&-]{0,40}",
            command in "[a-z *?\\t\\n;&|()<>$`'\"\\\\{}#!=.-]{0,120}",
            path in "[a-z*?/.\\\\ !\\[\\]{}-]{0,40}",
        ) {
            let rules = [allow("*", &pattern), deny("run_command", &pattern), ask("write_file", &pattern)];
            for verdict in [decide(&rules, &rules, &run(&command)), decide(&rules, &[], &write(&path))] {
                if let Verdict::Allow { by } = verdict {
                    prop_assert!(!by.is_empty());
                }
            }
        }
    }
}
