//! `run_command` with real shells: results, streamed output, timeouts, cancellation, and no
//! process left behind.

use std::time::{Duration, Instant};

use coder_agent::tools::{RunCommand, Tool, ToolError, ToolResult, OUTPUT_LIMIT, STDERR_PREFIX};
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

/// Waits for the progress message `message`.
async fn progress_until(p: &mut Project, message: &str) {
    let wait = async {
        while let Some(progress) = p.progress.recv().await {
            if progress.message == message {
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

#[tokio::test]
async fn output_lines_are_streamed_as_progress_in_order() {
    let mut p = Project::new();
    let result =
        finished(&p, "for i in 1 2 3 4 5; do echo line$i; done; echo e1 >&2; echo e2 >&2; printf tail").await;
    assert_eq!(result["exit_code"], 0);
    let messages = p.progress_messages();
    let stdout: Vec<_> = messages.iter().filter(|m| !m.starts_with(STDERR_PREFIX)).cloned().collect();
    let stderr: Vec<_> = messages.iter().filter(|m| m.starts_with(STDERR_PREFIX)).cloned().collect();
    assert_eq!(
        stdout,
        ["line1", "line2", "line3", "line4", "line5", "tail"],
        "stdout lines in order, the last without newline"
    );
    assert_eq!(
        stderr,
        [format!("{STDERR_PREFIX}e1"), format!("{STDERR_PREFIX}e2")],
        "stderr lines in order, prefixed"
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
