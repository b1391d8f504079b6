//! `run_command` with real shells: results, streamed output, timeouts, cancellation, and no
//! process left behind.

use std::time::{Duration, Instant};

use coder_agent::tools::{
    progress_channel, RunCommand, Tool, ToolError, ToolResult, OUTPUT_LIMIT, PROGRESS_CAPACITY,
    PROGRESS_CHUNK_LIMIT, STDERR_PREFIX,
};
use coder_domain::ToolOutput;
use serde_json::{json, Value};

use crate::project::Project;

/// Runs a command that must finish, and returns its JSON result.
async fn finished(p: &Project, command: &str) -> Value {
    match p.run(&RunCommand, json!({"command": command, "timeout_seconds": 60})).await {
        Ok(ToolResult { output: ToolOutput::Json(value), writes }) => {
            assert!(writes.is_empty(), "run_command reports no writes itself");
            value
        }
        other => panic!("`{command}` gave {other:?}"),
    }
}

/// Pids of live processes whose command line contains `marker` (zombies have none).
fn processes_with(marker: &str) -> Vec<u32> {
    let me = std::process::id();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else { continue };
        if pid != me && String::from_utf8_lossy(&cmdline).replace('\0', " ").contains(marker) {
            pids.push(pid);
        }
    }
    pids
}

/// Polls until `condition` holds; false if it still does not after a generous deadline.
async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    condition()
}

/// Waits for a progress message with the line `message`.
async fn progress_until(p: &mut Project, message: &str) {
    let wait = async {
        while let Some(progress) = p.progress.recv().await {
            if progress.message.lines().any(|line| line == message) {
                return;
            }
        }
        panic!("the progress channel closed before `{message}`");
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .unwrap_or_else(|_| panic!("no `{message}` progress"));
}

/// A command that starts background children and grandchildren tagged with `marker` (a sleep
/// duration no other process uses), says `started`, and waits for them.
fn spawner(marker: &str) -> String {
    format!("sleep {marker} & sh -c 'sleep {marker}; true' & (sleep {marker}) & echo started; wait")
}

#[tokio::test]
async fn reports_exit_code_stdout_and_stderr() {
    let p = Project::new();
    let result = finished(&p, "echo out; echo err >&2; exit 3").await;
    assert_eq!(result["exit_code"], 3, "a failing command is a normal result: {result}");
    assert_eq!(result["stdout"], "out\n");
    assert_eq!(result["stderr"], "err\n");
    assert_eq!(finished(&p, "true").await["exit_code"], 0);
    let killed = finished(&p, "kill -9 $$").await;
    assert_eq!((killed["exit_code"].clone(), killed["signal"].clone()), (Value::Null, json!(9)), "{killed}");
}

#[tokio::test]
async fn runs_in_the_project_root_with_no_input() {
    let p = Project::new();
    p.file("marker.txt", "here\n");
    let pwd = finished(&p, "pwd -P; cat marker.txt").await;
    assert_eq!(pwd["stdout"], format!("{}\nhere\n", p.root().display()), "the working directory is the root");
    let cat = finished(&p, "cat; echo \"read $?\"").await;
    assert_eq!(cat["stdout"], "read 0\n", "stdin is empty, so `cat` ends at once");
}

/// The lines of the progress messages received so far, in order.
fn progress_lines(p: &mut Project) -> Vec<String> {
    p.progress_messages().iter().flat_map(|m| m.split('\n').map(str::to_owned).collect::<Vec<_>>()).collect()
}

#[tokio::test]
async fn output_lines_are_streamed_as_progress_in_order() {
    let mut p = Project::new();
    let result =
        finished(&p, "for i in 1 2 3 4 5; do echo line$i; done; echo e1 >&2; echo e2 >&2; printf tail").await;
    assert_eq!(result["exit_code"], 0);
    let lines = progress_lines(&mut p);
    let stdout: Vec<_> = lines.iter().filter(|m| !m.starts_with(STDERR_PREFIX)).cloned().collect();
    let stderr: Vec<_> = lines.iter().filter(|m| m.starts_with(STDERR_PREFIX)).cloned().collect();
    assert_eq!(
        stdout,
        ["line1", "line2", "line3", "line4", "line5", "tail"],
        "stdout lines in order, the last without newline"
    );
    assert_eq!(
        stderr,
        [format!("{STDERR_PREFIX}e1"), format!("{STDERR_PREFIX}e2")],
        "stderr lines in order, each prefixed"
    );
}

#[tokio::test]
async fn large_output_keeps_its_end() {
    let p = Project::new();
    let result = finished(&p, "head -c 200000 /dev/zero | tr '\\0' a; echo; echo THE END").await;
    let stdout = result["stdout"].as_str().unwrap();
    assert!(stdout.ends_with("THE END\n"), "the end of the output is kept");
    assert!(stdout.starts_with('['), "a note says how much was left out: {}", &stdout[..60]);
    assert!(stdout.len() < OUTPUT_LIMIT + 100, "at most the limit is kept: {} bytes", stdout.len());
}

#[tokio::test]
async fn a_timeout_kills_the_whole_process_group() {
    let p = Project::new();
    let marker = "300.1234";
    let result = p.run(&RunCommand, json!({"command": spawner(marker), "timeout_seconds": 1})).await;
    assert_eq!(result, Err(ToolError::Timeout { seconds: 1 }));
    assert!(
        eventually(|| processes_with(marker).is_empty()).await,
        "left behind: {:?}",
        processes_with(marker)
    );
}

#[tokio::test]
async fn cancelling_returns_cancelled_and_leaves_no_process() {
    let mut p = Project::new();
    let marker = "300.2345";
    let ctx = p.ctx.clone();
    let command = spawner(marker);
    let task = tokio::spawn(async move { RunCommand.run(json!({"command": command}), &ctx).await });
    progress_until(&mut p, "started").await;
    assert!(
        eventually(|| processes_with(marker).len() >= 3).await,
        "the children are running before the cancel"
    );

    p.ctx.cancel.cancel();
    let result =
        tokio::time::timeout(Duration::from_secs(30), task).await.expect("the tool returns").unwrap();
    assert_eq!(result, Err(ToolError::Cancelled));
    assert!(
        eventually(|| processes_with(marker).is_empty()).await,
        "left behind: {:?}",
        processes_with(marker)
    );
}

#[tokio::test]
async fn dropping_the_running_tool_kills_its_processes() {
    let mut p = Project::new();
    let marker = "300.3456";
    let ctx = p.ctx.clone();
    let command = spawner(marker);
    let task = tokio::spawn(async move { RunCommand.run(json!({"command": command}), &ctx).await });
    progress_until(&mut p, "started").await;
    assert!(
        eventually(|| processes_with(marker).len() >= 3).await,
        "the children are running before the abort"
    );

    task.abort();
    assert!(task.await.unwrap_err().is_cancelled(), "the task was aborted");
    assert!(
        eventually(|| processes_with(marker).is_empty()).await,
        "left behind: {:?}",
        processes_with(marker)
    );
}

#[tokio::test]
async fn background_processes_do_not_outlive_a_finished_command() {
    let p = Project::new();
    let marker = "300.4567";
    let result = finished(&p, &format!("sleep {marker} & echo done")).await;
    assert_eq!((result["exit_code"].clone(), result["stdout"].clone()), (json!(0), json!("done\n")));
    assert!(
        eventually(|| processes_with(marker).is_empty()).await,
        "left behind: {:?}",
        processes_with(marker)
    );
}

#[tokio::test]
async fn bad_input_is_refused() {
    let p = Project::new();
    for input in [
        json!({}),
        json!({"command": "  "}),
        json!({"command": "true", "timeout_seconds": 0}),
        json!({"command": "true", "timeout_seconds": 3601}),
        json!({"command": "true", "cwd": "/"}),
    ] {
        let result = p.run(&RunCommand, input.clone()).await;
        assert!(matches!(result, Err(ToolError::InvalidInput(_))), "{input} is invalid: {result:?}");
    }
}

/// The note `[… B bytes in L lines; the last K bytes follow]` that opens a cut stream, as
/// (B, L, K), and the text after it.
fn cut_stream(text: &str) -> ((u64, u64, u64), &str) {
    let (note, rest) = text.split_once('\n').expect("a note line before the kept output");
    let numbers: Vec<u64> = note
        .split(|c: char| !c.is_ascii_digit() && c != ',')
        .filter(|word| word.chars().any(|c| c.is_ascii_digit()))
        .map(|word| word.replace(',', "").parse().unwrap())
        .collect();
    assert!(
        note.starts_with("[… ") && note.contains(" bytes in ") && numbers.len() == 3,
        "a cut stream opens with its size and line count: {note}"
    );
    ((numbers[0], numbers[1], numbers[2]), rest)
}

/// The peak resident memory of this test process, in bytes.
fn peak_memory() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024
}

/// Every progress message stays within the chunk limit (plus prefixes and a note), and no more
/// than the channel holds piled up while nobody read them.
fn assert_progress_bounded(p: &mut Project) {
    let messages = p.progress_messages();
    assert!(!messages.is_empty(), "the flood was previewed");
    assert!(
        messages.len() <= PROGRESS_CAPACITY,
        "unread progress is bounded by the channel: {} messages",
        messages.len()
    );
    for message in &messages {
        let output = message.replace(STDERR_PREFIX, "");
        assert!(
            output.len() <= PROGRESS_CHUNK_LIMIT + 100,
            "a progress message carries at most a chunk of output: {} bytes",
            output.len()
        );
    }
}

#[tokio::test]
async fn yes_for_seconds_keeps_memory_bounded_and_reports_its_size() {
    let mut p = Project::new();
    let result = finished(&p, "timeout 2 yes; echo THE END").await;
    let stdout = result["stdout"].as_str().unwrap();
    let ((bytes, lines, kept), shown) = cut_stream(stdout);
    assert!(shown.ends_with("THE END\n"), "the end of the output is kept");
    assert_eq!(kept, OUTPUT_LIMIT as u64, "the note says how much follows");
    assert_eq!(shown.len(), OUTPUT_LIMIT, "exactly the limit is kept");
    assert!(bytes > 10 * OUTPUT_LIMIT as u64, "yes printed far more than is kept: {bytes} bytes");
    let end = "THE END\n".len() as u64;
    assert_eq!(
        lines,
        (bytes - end) / 2 + 1,
        "`y\\n` lines (the last perhaps cut by the timeout) and the end line: {lines} lines in {bytes} bytes"
    );
    assert_progress_bounded(&mut p);
    // Queuing every line of output, as once happened, took gigabytes within seconds.
    let peak = peak_memory();
    assert!(peak < 256 << 20, "memory stays bounded while a command floods its output: peak {peak} bytes");
}

#[tokio::test]
async fn a_long_run_of_lines_is_counted_exactly() {
    let mut p = Project::new();
    let result = finished(&p, "yes | head -n 3000000").await;
    let (counts, shown) = cut_stream(result["stdout"].as_str().unwrap());
    assert_eq!(counts, (6_000_000, 3_000_000, OUTPUT_LIMIT as u64), "every byte and line is counted");
    assert_eq!(shown, "y\n".repeat(OUTPUT_LIMIT / 2), "the last lines are kept");
    assert_progress_bounded(&mut p);
}

#[tokio::test]
async fn a_line_of_many_megabytes_without_newline_is_cut_not_buffered() {
    let mut p = Project::new();
    let result = finished(&p, "head -c 50000000 /dev/zero | tr '\\0' x").await;
    let (counts, shown) = cut_stream(result["stdout"].as_str().unwrap());
    assert_eq!(counts, (50_000_000, 1, OUTPUT_LIMIT as u64), "one unfinished line of 50 MB");
    assert_eq!(shown, "x".repeat(OUTPUT_LIMIT), "its end is kept");
    assert_progress_bounded(&mut p);
}

#[tokio::test]
async fn a_stderr_flood_is_capped_and_counted_like_stdout() {
    let mut p = Project::new();
    let result = finished(&p, "yes e | head -n 2000000 >&2; echo out").await;
    assert_eq!(result["stdout"], "out\n", "stdout is untouched by the flood on stderr");
    let (counts, shown) = cut_stream(result["stderr"].as_str().unwrap());
    assert_eq!(counts, (4_000_000, 2_000_000, OUTPUT_LIMIT as u64));
    assert_eq!(shown, "e\n".repeat(OUTPUT_LIMIT / 2));
    let messages = p.progress_messages();
    assert!(
        messages.iter().any(|m| m.starts_with(STDERR_PREFIX)),
        "stderr is previewed with its prefix: {:?}",
        messages.iter().map(|m| &m[..m.len().min(40)]).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_command_finishes_when_nobody_receives_its_progress() {
    let p = Project::new();
    let (progress, receiver) = progress_channel();
    drop(receiver);
    let ctx = coder_agent::tools::ToolContext { progress, ..p.ctx.clone() };
    let result = RunCommand.run(json!({"command": "yes | head -n 1000000; echo done"}), &ctx).await;
    let Ok(ToolResult { output: ToolOutput::Json(value), .. }) = result else {
        panic!("progress is a preview; a closed channel does not fail the command: {result:?}")
    };
    assert!(value["stdout"].as_str().unwrap().ends_with("y\ndone\n"), "the output is complete");
}

/// Runs `env` with `allow` passed through and returns its output.
async fn child_env(allow: &[&str]) -> String {
    let mut p = Project::new();
    p.ctx.env_allow = allow.iter().map(|name| (*name).to_owned()).collect();
    finished(&p, "env").await["stdout"].as_str().unwrap().to_owned()
}

/// Runs the test `name` of this binary alone, in a child process whose environment has `vars`
/// added — the way a desktop session hands Coder its environment — without changing the
/// environment of this process, which other tests read at the same time.
fn in_child_with_env(name: &str, vars: &[(&str, &str)]) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--ignored", "--nocapture", "--test-threads=1"])
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name} failed in its child process:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("1 passed"), "{name} ran in the child process:\n{text}");
}

#[test]
fn secrets_in_coders_environment_do_not_reach_the_command() {
    in_child_with_env(
        "run_command::secrets_in_the_environment_child",
        &[
            ("CODER_TEST_LEAK_API_KEY", "leaked-key-5f1c"),
            ("CODER_TEST_LEAK_Password_X", "leaked-password-5f1c"),
            ("CODER_TEST_PASSED_TOKEN", "allowed-token-5f1c"),
            ("CODER_TEST_PLAIN_SETTING", "plain-5f1c"),
        ],
    );
}

#[tokio::test]
#[ignore = "run by secrets_in_coders_environment_do_not_reach_the_command, with its environment"]
async fn secrets_in_the_environment_child() {
    let scrubbed = child_env(&[]).await;
    assert!(!scrubbed.contains("leaked-"), "no secret value reaches the command:\n{scrubbed}");
    assert!(!scrubbed.contains("allowed-token-5f1c"), "a token is withheld unless allowed");
    assert!(scrubbed.contains("CODER_TEST_PLAIN_SETTING=plain-5f1c\n"), "ordinary variables pass");
    assert!(scrubbed.lines().any(|l| l.starts_with("PATH=")), "PATH passes, or nothing could be found");
    if std::env::var_os("HOME").is_some() {
        assert!(scrubbed.lines().any(|l| l.starts_with("HOME=")), "HOME passes");
    }

    let allowed = child_env(&["CODER_TEST_PASSED_TOKEN"]).await;
    assert!(
        allowed.contains("CODER_TEST_PASSED_TOKEN=allowed-token-5f1c\n"),
        "a name on the project's allowlist passes"
    );
    assert!(!allowed.contains("leaked-"), "allowing one name lets no other secret through");
}
