//! Hostile output: an approved `yes` floods `coder run` with output for 20 seconds, and the
//! process's memory stays bounded — its peak resident set stays within 100 MB of what it held
//! before the command started. (Before output was coalesced over a bounded channel, a release
//! build reached 3.3 GiB.) `make bench` runs this against the release build and prints the
//! figures; `make test` runs it on the debug build.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coder_agent::provider::{ModelEvent, StopReason, ToolCall, Usage};
use coder_agent::testing::{ScriptServer, Turn};
use serde_json::json;
use tempfile::TempDir;

/// How long `yes` runs; `CODER_FLOOD_SECONDS` changes it.
const FLOOD_SECONDS: u64 = 20;
/// How much the resident set may grow while the flood runs.
const GROWTH_LIMIT_KB: u64 = 100 * 1024;

/// A field of `/proc/PID/status` in kB (`VmRSS`, `VmHWM`); `None` once the process is gone.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
}

/// Kills `coder` when the test fails before it ended (its `timeout N yes` ends by itself).
/// Disarmed once the process is reaped, so a reused pid is never signalled.
struct KillOnDrop(Option<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _already_gone = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_flood_keeps_memory_bounded() {
    let seconds: u64 =
        std::env::var("CODER_FLOOD_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(FLOOD_SECONDS);
    let project = TempDir::new().unwrap();
    let data = TempDir::new().unwrap();
    let server = ScriptServer::openai([
        Turn::reply(vec![
            ModelEvent::ToolCall(ToolCall {
                id: "c1".into(),
                name: "run_command".into(),
                input: json!({"command": format!("timeout {seconds} yes"), "timeout_seconds": seconds + 60}),
            }),
            ModelEvent::Usage(Usage::new(10, 10)),
            ModelEvent::Stop(StopReason::ToolUse),
        ]),
        Turn::reply(vec![
            ModelEvent::TextDelta("That was a lot of y.".into()),
            ModelEvent::Stop(StopReason::EndTurn),
        ]),
    ])
    .unwrap();
    let mut child = crate::coder_command()
        .arg("--data-dir")
        .arg(data.path())
        .args(["run", "--project"])
        .arg(project.path())
        .args([
            "--provider",
            "openai",
            "--base-url",
            &server.base_url(),
            "--model",
            "m",
            "--approve",
            "command",
        ])
        .arg("Flood")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Killed when the test ends, however it ends: nothing it started outlives it.
    let mut guard = KillOnDrop(Some(pid));
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds + 120);
    // The resident set just before the command is approved: what the process holds idle.
    let idle = Arc::new(Mutex::new(None::<u64>));
    let log = Arc::new(Mutex::new(String::new()));
    let reader = {
        let (idle, log) = (idle.clone(), log.clone());
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.contains("approved by --approve command") {
                    *idle.lock().unwrap() = status_kb(pid, "VmRSS");
                }
                let mut log = log.lock().unwrap();
                if log.len() < 64 * 1024 {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        })
    };
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "coder run did not end within {seconds} s + 2 min");
        if let Some(hwm) = status_kb(pid, "VmHWM") {
            peak = peak.max(hwm);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Reaped by `try_wait`: its pid may be reused from here on.
    guard.0 = None;
    tokio::task::spawn_blocking(move || reader.join().unwrap()).await.unwrap();
    let status = child.wait().unwrap();
    let log = log.lock().unwrap().clone();
    assert!(status.success(), "the run ends well after the flood: {log}");
    let idle = idle.lock().unwrap().expect("the approval was seen, and the resident set read then");
    let growth = peak.saturating_sub(idle);
    eprintln!(
        "output flood: `yes` for {seconds} s: resident set {} MB before, peak {} MB (+{} MB, limit +{} MB)",
        idle / 1024,
        peak / 1024,
        growth / 1024,
        GROWTH_LIMIT_KB / 1024
    );
    assert!(
        growth < GROWTH_LIMIT_KB,
        "memory grew by {growth} kB under the flood; output must be coalesced and capped, not queued"
    );
}
