//! `coder rule add|list|remove`, for a project (in the log) and globally (in settings.json), and
//! what the rules do to `coder run`.

use coder_agent::provider::{ModelEvent, StopReason, ToolCall, Usage};
use coder_agent::testing::{ScriptServer, Turn};
use serde_json::json;
use tempfile::TempDir;

use crate::{coder, stderr, stdout};

/// `coder --json rule list ARGS…` as (scope, effect, tool, pattern).
fn listed(data: &std::path::Path, args: &[&str]) -> Vec<(String, String, String, String)> {
    let mut all = vec!["--json", "rule", "list"];
    all.extend(args);
    let out = coder(data, &all);
    assert!(out.status.success(), "{}", stderr(&out));
    let rules: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rules
        .iter()
        .map(|r| {
            let s = |v: &serde_json::Value| v.as_str().unwrap().to_string();
            (s(&r["scope"]), s(&r["rule"]["effect"]), s(&r["rule"]["tool"]), s(&r["rule"]["pattern"]))
        })
        .collect()
}

fn rule(scope: &str, effect: &str, tool: &str, pattern: &str) -> (String, String, String, String) {
    (scope.into(), effect.into(), tool.into(), pattern.into())
}

#[test]
fn project_rules_are_added_listed_and_removed() {
    let data = TempDir::new().unwrap();
    let project = TempDir::new().unwrap();
    let dir = project.path().to_str().unwrap();
    let out = coder(data.path(), &["rule", "add", "--project", dir, "allow", "run_command", "cargo test*"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("added rule allow run_command `cargo test*`"), "{}", stdout(&out));
    let out = coder(data.path(), &["rule", "add", "--project", dir, "deny", "write_file", "!src/**"]);
    assert!(
        out.status.success(),
        "a pattern starting with `!` is a pattern, not an option: {}",
        stderr(&out)
    );
    assert_eq!(
        listed(data.path(), &["--project", dir]),
        [
            rule("project", "allow", "run_command", "cargo test*"),
            rule("project", "deny", "write_file", "!src/**")
        ]
    );
    let text = coder(data.path(), &["rule", "list", "--project", dir]);
    assert!(stdout(&text).contains("project  allow  run_command  cargo test*"), "{}", stdout(&text));

    let twice =
        coder(data.path(), &["rule", "add", "--project", dir, "allow", "run_command", " cargo test* "]);
    assert_eq!(twice.status.code(), Some(1));
    assert!(stderr(&twice).contains("already have"), "{}", stderr(&twice));

    let out =
        coder(data.path(), &["rule", "remove", "--project", dir, "allow", "run_command", "cargo test*"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(listed(data.path(), &["--project", dir]), [rule("project", "deny", "write_file", "!src/**")]);
    let gone =
        coder(data.path(), &["rule", "remove", "--project", dir, "allow", "run_command", "cargo test*"]);
    assert_eq!(gone.status.code(), Some(1), "removing what is not there fails");
    assert!(stderr(&gone).contains("have no allow run_command `cargo test*`"), "{}", stderr(&gone));
}

#[test]
fn a_rule_that_cannot_be_used_is_refused_and_nothing_is_written() {
    let data = TempDir::new().unwrap();
    let project = TempDir::new().unwrap();
    let dir = project.path().to_str().unwrap();
    for (args, says) in [
        (vec!["allow", "run_command", "cargo test && rm -rf x"], "write a rule for each command"),
        (vec!["allow", "write_file", "src/[oops"], "never closed"),
        (vec!["allow", "run_comand", "ls"], "no tool named `run_comand`"),
        (vec!["deny", "run_command", "  "], "needs a pattern"),
    ] {
        let mut all = vec!["rule", "add", "--project", dir];
        all.extend(&args);
        let out = coder(data.path(), &all);
        assert_eq!(out.status.code(), Some(1), "{args:?} is refused");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        let mut global = vec!["rule", "add", "--global"];
        global.extend(&args);
        assert_eq!(coder(data.path(), &global).status.code(), Some(1), "{args:?} is refused globally too");
    }
    assert!(!data.path().join(coder_store::STORE_FILE).exists(), "no store was even created");
    assert!(!data.path().join("settings.json").exists(), "no settings were written");
    let bad_effect = coder(data.path(), &["rule", "add", "--global", "permit", "run_command", "ls"]);
    assert_eq!(bad_effect.status.code(), Some(2), "clap refuses an effect it does not know");
    let unknown = TempDir::new().unwrap();
    let out = coder(data.path(), &["rule", "list", "--project", unknown.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "a folder Coder does not know has no rules to list");
}

#[test]
fn global_rules_live_in_settings_json_beside_what_was_there() {
    let data = TempDir::new().unwrap();
    // As an earlier version wrote it: no rules field.
    let old =
        r#"{"provider":"openai","base_url":"http://localhost:11434/v1","model":"llama3","max_turns":9}"#;
    std::fs::write(data.path().join("settings.json"), old).unwrap();
    assert_eq!(listed(data.path(), &["--global"]), [], "an old settings file has no rules");
    let out = coder(data.path(), &["rule", "add", "--global", "deny", "run_command", "rm *"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(listed(data.path(), &["--global"]), [rule("global", "deny", "run_command", "rm *")]);
    let settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.path().join("settings.json")).unwrap()).unwrap();
    assert_eq!(settings["model"], "llama3", "the other settings are kept");
    assert_eq!(settings["max_turns"], 9);
    assert_eq!(settings["rules"], json!([{"effect": "deny", "tool": "run_command", "pattern": "rm *"}]));
    let out = coder(data.path(), &["rule", "remove", "--global", "deny", "run_command", "rm *"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(listed(data.path(), &["--global"]), []);
    let text = coder(data.path(), &["rule", "list", "--global"]);
    assert!(stdout(&text).contains("no rules"), "{}", stdout(&text));
}

fn tool_turn(id: &str, command: &str) -> Turn {
    Turn::reply(vec![
        ModelEvent::ToolCall(ToolCall {
            id: id.into(),
            name: "run_command".into(),
            input: json!({ "command": command }),
        }),
        ModelEvent::Usage(Usage::new(100, 10)),
        ModelEvent::Stop(StopReason::ToolUse),
    ])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coder_run_follows_the_rules_without_asking() {
    let data = TempDir::new().unwrap();
    let project = TempDir::new().unwrap();
    std::fs::create_dir(project.path().join("keep")).unwrap();
    let dir = project.path().to_str().unwrap().to_string();
    let add = |args: &[&str]| {
        let out = coder(data.path(), args);
        assert!(out.status.success(), "{}", stderr(&out));
    };
    add(&["rule", "add", "--project", &dir, "allow", "run_command", "echo ruled*"]);
    add(&["rule", "add", "--global", "deny", "run_command", "rm *"]);
    let server = ScriptServer::openai([
        tool_turn("c1", "echo ruled by a rule"),
        tool_turn("c2", "echo fine && rm -rf keep"),
        Turn::reply(vec![
            ModelEvent::TextDelta("All done.".into()),
            ModelEvent::Usage(Usage::new(100, 10)),
            ModelEvent::Stop(StopReason::EndTurn),
        ]),
    ])
    .unwrap();
    let base_url = server.base_url();
    let data_dir = data.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        coder(
            &data_dir,
            &[
                "run",
                "--project",
                &dir,
                "--provider",
                "openai",
                "--base-url",
                &base_url,
                "--model",
                "m",
                "Go",
            ],
        )
    })
    .await
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("Approve?"), "nothing was asked on the terminal: {}", stderr(&out));
    assert!(stderr(&out).contains("ruled by a rule"), "the allowed command ran: {}", stderr(&out));
    assert!(project.path().join("keep").exists(), "the denied chain did not run");
    let requests = server.requests();
    let third = requests[2].json().unwrap();
    let told = third["messages"].as_array().unwrap().iter().any(|m| {
        m["role"] == "tool"
            && m["content"].as_str().unwrap_or_default().contains("denied by rule `rm *` (global)")
    });
    assert!(told, "the model is told which rule denied the command: {third}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_always_on_the_terminal_adds_a_rule_for_what_comes_next() {
    use std::io::Write;

    let data = TempDir::new().unwrap();
    let project = TempDir::new().unwrap();
    let server = ScriptServer::openai([
        tool_turn("c1", "echo tallied 1"),
        tool_turn("c2", "echo tallied 2"),
        Turn::reply(vec![
            ModelEvent::TextDelta("Tallied.".into()),
            ModelEvent::Usage(Usage::new(100, 10)),
            ModelEvent::Stop(StopReason::EndTurn),
        ]),
    ])
    .unwrap();
    let (data_dir, dir, base_url) =
        (data.path().to_path_buf(), project.path().to_str().unwrap().to_string(), server.base_url());
    let out = tokio::task::spawn_blocking(move || {
        let mut child = crate::coder_command()
            .arg("--data-dir")
            .arg(&data_dir)
            .args([
                "run",
                "--project",
                &dir,
                "--provider",
                "openai",
                "--base-url",
                &base_url,
                "--model",
                "m",
                "Tally",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // One answer only: the second call must not ask.
        child.stdin.take().unwrap().write_all(b"a\n").unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("[a]lways allow `echo tallied …` in this project"),
        "the prompt names the rule: {err}"
    );
    assert_eq!(err.matches("Approve?").count(), 1, "asked once, then the rule allowed the second: {err}");
    assert!(err.contains("added the project rule allow run_command `echo tallied`"), "{err}");
    assert!(err.contains("tallied 2"), "the second command ran: {err}");
    assert_eq!(
        listed(data.path(), &["--project", project.path().to_str().unwrap()]),
        [rule("project", "allow", "run_command", "echo tallied")]
    );
}
