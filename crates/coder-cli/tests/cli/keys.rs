//! `coder key` against a real Secret Service (`gnome-keyring-daemon` on a private session bus,
//! see `session`): set, status, a `coder run` that sends the saved key, the environment
//! winning, delete — and the clear refusal where no keyring service runs.
//!
//! The keyring check runs in a child process of this test binary started inside the private
//! bus, so the bus address and key variables live only in the children's environments.

#![cfg(target_os = "linux")]

#[path = "../../../coder-agent/tests/keyring/session.rs"]
mod session;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use coder_agent::provider::{ModelEvent, StopReason};
use coder_agent::testing::{ScriptServer, Turn};
use session::{succeeded, PrivateHome};

use crate::{stderr, stdout};

const KEY: &str = "sk-ant-cli-keyring-93be07";
const ENVIRONMENT_KEY: &str = "sk-ant-cli-environment-6a1f";

/// `coder ARGS…` with `input` on standard input, in this process's environment (the child's:
/// the private bus and home).
fn coder(args: &[&str], input: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_coder"))
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the coder binary runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn key_set_status_run_and_delete_with_a_real_keyring() {
    let home = PrivateHome::new();
    let exe = std::env::current_exe().unwrap();
    let args = ["--exact", "keys::key_commands_child", "--ignored", "--nocapture", "--test-threads=1"];
    let out =
        home.with_keyring(&exe, &args).output().expect("dbus-run-session runs (scripts/setup-debian.sh)");
    let text = succeeded("the keyring check", &out);
    assert!(text.contains("1 passed"), "the check ran:\n{text}");
    assert_eq!(
        home.files_holding(KEY),
        Vec::<std::path::PathBuf>::new(),
        "no file holds the key in plain text"
    );
}

#[test]
fn without_a_keyring_service_key_commands_say_so_and_write_nothing() {
    let home = PrivateHome::new();
    let coder = |args: &[&str]| home.command(env!("CARGO_BIN_EXE_coder"), args).output().unwrap();

    let status = coder(&["key", "status"]);
    assert!(!status.status.success(), "status fails when the keyring cannot be used");
    let text = stdout(&status);
    assert!(
        text.contains("openai: keyring unavailable: no keyring service is running")
            && text.contains("set OPENAI_API_KEY instead"),
        "each provider's line names the cause and the variable to set: {text}"
    );

    let mut set = home.command(env!("CARGO_BIN_EXE_coder"), &["key", "set", "openai"]);
    let mut child = set.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(format!("{KEY}\n").as_bytes()).unwrap();
    let set = child.wait_with_output().unwrap();
    assert_eq!(set.status.code(), Some(1), "saving fails: {}", stderr(&set));
    assert!(stderr(&set).contains("no keyring service is running"), "{}", stderr(&set));
    assert!(stderr(&set).contains("set OPENAI_API_KEY instead"), "{}", stderr(&set));

    let files = home.files();
    assert!(files.is_empty(), "no file stands in for the keyring: {files:?}");
}

#[test]
#[ignore = "run by key_set_status_run_and_delete_with_a_real_keyring, on a private bus"]
fn key_commands_child() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let reply =
        || Turn::reply(vec![ModelEvent::TextDelta("Hello.".into()), ModelEvent::Stop(StopReason::EndTurn)]);
    let server = runtime.block_on(async { ScriptServer::anthropic([reply(), reply()]).unwrap() });
    let data = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let base_url = server.base_url();
    let run = |env: &[(&str, &str)]| {
        let data_dir = data.path().to_str().unwrap();
        let project = project.path().to_str().unwrap();
        let args = ["--data-dir", data_dir, "run", "--project", project, "--provider", "anthropic"];
        let args = [&args[..], &["--base-url", &base_url, "--model", "test-model", "Hello"]].concat();
        coder(&args, "", env)
    };

    let status = coder(&["key", "status"], "", &[]);
    assert!(status.status.success(), "{}", stderr(&status));
    assert!(stdout(&status).contains("anthropic: not set"), "{}", stdout(&status));

    let set = coder(&["key", "set", "anthropic"], &format!("{KEY}\n"), &[]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(stdout(&set).contains("saved the anthropic key in the keyring"), "{}", stdout(&set));
    assert!(!stdout(&set).contains(KEY) && !stderr(&set).contains(KEY), "the key is never printed");
    let status = coder(&["key", "status"], "", &[]);
    assert!(stdout(&status).contains("anthropic: in the keyring"), "{}", stdout(&status));

    let out = run(&[]);
    assert!(out.status.success(), "a run with the saved key succeeds: {}", stderr(&out));
    assert_eq!(server.requests()[0].header("x-api-key"), Some(KEY), "the keyring's key is sent");

    let status = coder(&["key", "status"], "", &[("ANTHROPIC_API_KEY", ENVIRONMENT_KEY)]);
    assert!(
        stdout(&status)
            .contains("anthropic: from ANTHROPIC_API_KEY (environment wins; the keyring also holds one)"),
        "{}",
        stdout(&status)
    );
    let out = run(&[("ANTHROPIC_API_KEY", ENVIRONMENT_KEY)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(server.requests()[1].header("x-api-key"), Some(ENVIRONMENT_KEY), "the environment wins");

    let delete = coder(&["key", "delete", "anthropic"], "", &[]);
    assert!(stdout(&delete).contains("deleted the anthropic key"), "{}", stdout(&delete));
    let status = coder(&["key", "status"], "", &[]);
    assert!(stdout(&status).contains("anthropic: not set"), "{}", stdout(&status));
    let out = run(&[]);
    let message = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        message.contains("coder key set anthropic"),
        "a run without a key says how to set one: {message}"
    );
    assert_eq!(server.requests().len(), 2, "no request goes out without a key");

    let empty = coder(&["key", "set", "openai"], "\n", &[]);
    assert_eq!(empty.status.code(), Some(1), "an empty key is refused");
    assert!(stderr(&empty).contains("not a valid API key: it is empty"), "{}", stderr(&empty));

    assert_no_file_holds(data.path(), KEY);
    let export = coder(&["--data-dir", data.path().to_str().unwrap(), "export"], "", &[]);
    assert!(export.status.success(), "{}", stderr(&export));
    assert!(!stdout(&export).contains(KEY), "the export holds no key");
}

fn assert_no_file_holds(dir: &Path, secret: &str) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            assert_no_file_holds(&path, secret);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds the key",
                path.display()
            );
        }
    }
}
