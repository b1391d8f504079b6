//! `run_command`: a shell command in the project root, its output streamed as progress.
//!
//! The command runs as `sh -c <command>` with stdin closed, in a process group of its own. The
//! whole group is killed with SIGKILL when the command times out, when `ToolContext::cancel`
//! fires, when the tool's future is dropped, and when the shell exits — so no process the
//! command started (a `cmd &` child, a grandchild) outlives it. Only a process that leaves the
//! group on purpose (`setsid`) escapes; its open output pipes are waited for `PIPE_GRACE`
//! at most.
//!
//! A non-zero exit is a normal result: the model reads the exit code and the output.

use std::os::unix::process::ExitStatusExt;
use std::pin::pin;
use std::process::Stdio;
use std::time::Duration;

use coder_domain::ToolOutput;
use futures_util::future::BoxFuture;
use rustix::process::{kill_process_group, Pid, Signal};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::support::parse;
use super::{Tool, ToolContext, ToolError, ToolKind, ToolProgress, ToolResult};
use crate::provider::ToolSpec;

pub const DEFAULT_TIMEOUT_SECONDS: u64 = 120;
pub const MAX_TIMEOUT_SECONDS: u64 = 3600;
/// The last this many bytes of stdout, and of stderr, are returned.
pub const OUTPUT_LIMIT: usize = 64 * 1024;
/// A line longer than this is sent as progress in pieces.
const PROGRESS_LINE_LIMIT: usize = 4096;
/// How long output pipes are still read after the shell exits and its group is killed.
const PIPE_GRACE: Duration = Duration::from_secs(2);
/// Prefix of progress messages that come from stderr.
pub const STDERR_PREFIX: &str = "stderr: ";

#[derive(Debug, Clone, Copy, Default)]
pub struct RunCommand;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    command: String,
    timeout_seconds: Option<u64>,
}

impl Tool for RunCommand {
    fn name(&self) -> &'static str {
        "run_command"
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Command
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().into(),
            description: format!(
                "Run a shell command (`sh -c`) in the project root, without input, and return its \
                 exit code, stdout and stderr (the last {} KiB of each). A non-zero exit code is \
                 reported, not an error. The command is stopped after `timeout_seconds` (default \
                 {DEFAULT_TIMEOUT_SECONDS}); background processes it starts are stopped when it \
                 finishes.",
                OUTPUT_LIMIT / 1024
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The shell command line, e.g. `cargo test 2>&1 | tail -50`."},
                    "timeout_seconds": {
                        "type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECONDS,
                        "description": format!("Seconds before the command is stopped. Default: {DEFAULT_TIMEOUT_SECONDS}.")
                    }
                },
                "required": ["command"],
                "additionalProperties": false
            }),
        }
    }

    fn run<'a>(
        &'a self,
        input: serde_json::Value,
        ctx: &'a ToolContext,
    ) -> BoxFuture<'a, Result<ToolResult, ToolError>> {
        Box::pin(async move {
            let input: Input = parse(self.name(), input)?;
            if input.command.trim().is_empty() {
                return Err(ToolError::InvalidInput("the command is empty".into()));
            }
            let seconds = input.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
            if !(1..=MAX_TIMEOUT_SECONDS).contains(&seconds) {
                return Err(ToolError::InvalidInput(format!(
                    "timeout_seconds must be between 1 and {MAX_TIMEOUT_SECONDS}"
                )));
            }
            run(&input.command, seconds, ctx).await
        })
    }
}

async fn run(command: &str, seconds: u64, ctx: &ToolContext) -> Result<ToolResult, ToolError> {
    let mut child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(&ctx.root)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("PAGER", "cat")
        .env("GIT_PAGER", "cat")
        .env("GIT_TERMINAL_PROMPT", "0")
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| ToolError::Io(format!("cannot start sh: {err}")))?;
    // With `process_group(0)` the group id is the shell's pid.
    let mut group = ProcessGroup(child.id().and_then(|id| Pid::from_raw(id as i32)));
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return Err(ToolError::Io("the command's output pipes are missing".into()));
    };

    let shell_exited = CancellationToken::new();
    let finished = async {
        let (status, stdout, stderr) = tokio::join!(
            async {
                let status = child.wait().await;
                group.kill();
                shell_exited.cancel();
                status
            },
            pump(stdout, &ctx.progress, "", &shell_exited),
            pump(stderr, &ctx.progress, STDERR_PREFIX, &shell_exited),
        );
        (status, stdout, stderr)
    };
    let stopped = tokio::select! {
        biased;
        () = ctx.cancel.cancelled() => ToolError::Cancelled,
        () = tokio::time::sleep(Duration::from_secs(seconds)) => ToolError::Timeout { seconds },
        (status, stdout, stderr) = finished => {
            group.disarm();
            let status = status.map_err(|err| ToolError::Io(format!("waiting for the command failed: {err}")))?;
            let output = json!({
                "exit_code": status.code(),
                "signal": status.signal(),
                "stdout": stdout,
                "stderr": stderr,
            });
            return Ok(ToolResult { output: ToolOutput::Json(output), writes: Vec::new() });
        }
    };
    group.kill();
    // Reap the shell; SIGKILL cannot be ignored, so this is quick. Should it not be, dropping
    // `child` leaves the reaping to Tokio.
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    group.disarm();
    Err(stopped)
}

/// The command's process group; killed when dropped unless disarmed.
struct ProcessGroup(Option<Pid>);

impl ProcessGroup {
    fn kill(&self) {
        if let Some(pgid) = self.0 {
            // ESRCH (the group is already empty) is the expected failure.
            let _ = kill_process_group(pgid, Signal::KILL);
        }
    }

    /// Once the shell is reaped its pid may be reused; the group must not be signalled after.
    fn disarm(&mut self) {
        self.0 = None;
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Reads one output pipe to its end, sending each line as progress, and returns its last
/// `OUTPUT_LIMIT` bytes as text. Stops early once `PIPE_GRACE` has passed after `shell_exited`.
async fn pump(
    mut reader: impl AsyncRead + Unpin,
    progress: &UnboundedSender<ToolProgress>,
    prefix: &str,
    shell_exited: &CancellationToken,
) -> String {
    let mut give_up = pin!(async {
        shell_exited.cancelled().await;
        tokio::time::sleep(PIPE_GRACE).await;
    });
    let mut tail = Tail::default();
    let mut line = Vec::new();
    let mut buf = vec![0u8; 8192];
    loop {
        let read = tokio::select! {
            read = reader.read(&mut buf) => read,
            () = &mut give_up => break,
        };
        let chunk = match read {
            Ok(0) | Err(_) => break,
            Ok(n) => &buf[..n],
        };
        tail.push(chunk);
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&rest[..end]);
            send_line(progress, prefix, &mut line);
            rest = &rest[end + 1..];
        }
        line.extend_from_slice(rest);
        if line.len() >= PROGRESS_LINE_LIMIT {
            send_line(progress, prefix, &mut line);
        }
    }
    if !line.is_empty() {
        send_line(progress, prefix, &mut line);
    }
    tail.into_text()
}

fn send_line(progress: &UnboundedSender<ToolProgress>, prefix: &str, line: &mut Vec<u8>) {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    let message = format!("{prefix}{}", String::from_utf8_lossy(line));
    // Progress is best effort: nobody listening is not a failure of the command.
    let _ = progress.send(ToolProgress { fraction: None, message });
    line.clear();
}

/// The last `OUTPUT_LIMIT` bytes of a stream, and how many came before them.
#[derive(Default)]
struct Tail {
    kept: Vec<u8>,
    total: u64,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        self.kept.extend_from_slice(bytes);
        if self.kept.len() > 2 * OUTPUT_LIMIT {
            self.kept.drain(..self.kept.len() - OUTPUT_LIMIT);
        }
    }

    fn into_text(mut self) -> String {
        if self.kept.len() > OUTPUT_LIMIT {
            self.kept.drain(..self.kept.len() - OUTPUT_LIMIT);
        }
        let omitted = self.total - self.kept.len() as u64;
        let text = String::from_utf8_lossy(&self.kept);
        if omitted == 0 {
            text.into_owned()
        } else {
            format!("[{omitted} earlier bytes not shown]\n{text}")
        }
    }
}
