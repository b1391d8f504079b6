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
//!
//! The command sees Coder's environment with secrets withheld (see `env`), plus the names in
//! `ToolContext::env_allow`.
//!
//! Memory stays bounded however much the command prints, and the command is never slowed by a
//! reader of its progress: each pipe is read in `READ_BUFFER` pieces, of which only the last
//! `OUTPUT_LIMIT` bytes are kept for the result (with the total size and line count), and the
//! live preview sends at most one progress message per stream per `PROGRESS_INTERVAL`, holding
//! at most `PROGRESS_CHUNK_LIMIT` bytes of output. Output that arrives faster, or while the
//! progress channel is full, is left out of the preview and the next message says how much.

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
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::mpsc::Sender;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::env::scrubbed;
use super::support::parse;
use super::{Tool, ToolContext, ToolError, ToolKind, ToolProgress, ToolResult};
use crate::provider::ToolSpec;

pub const DEFAULT_TIMEOUT_SECONDS: u64 = 120;
pub const MAX_TIMEOUT_SECONDS: u64 = 3600;
/// The last this many bytes of stdout, and of stderr, are returned.
pub const OUTPUT_LIMIT: usize = 64 * 1024;
/// Each output stream sends at most one progress message per this interval.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);
/// Most bytes of output one progress message carries (before `STDERR_PREFIX`es and a note of
/// what was left out). An unfinished line this long is sent without waiting for its end.
pub const PROGRESS_CHUNK_LIMIT: usize = 16 * 1024;
/// Bytes read from a pipe at once.
const READ_BUFFER: usize = 64 * 1024;
/// How long output pipes are still read after the shell exits and its group is killed.
const PIPE_GRACE: Duration = Duration::from_secs(2);
/// Prefix of each line of a progress message that comes from stderr.
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
                 exit code, stdout and stderr (the last {} KiB of each, with the total size when \
                 longer). A non-zero exit code is reported, not an error. The command is stopped \
                 after `timeout_seconds` (default {DEFAULT_TIMEOUT_SECONDS}); background processes \
                 it starts are stopped when it finishes.",
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
        .env_clear()
        .envs(scrubbed(std::env::vars_os(), &ctx.env_allow))
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

/// Reads one output pipe to its end, previewing it as progress, and returns its last
/// `OUTPUT_LIMIT` bytes as text. Stops early once `PIPE_GRACE` has passed after `shell_exited`.
async fn pump(
    mut reader: impl AsyncRead + Unpin,
    progress: &Sender<ToolProgress>,
    prefix: &str,
    shell_exited: &CancellationToken,
) -> String {
    let mut give_up = pin!(async {
        shell_exited.cancelled().await;
        tokio::time::sleep(PIPE_GRACE).await;
    });
    let mut tail = Tail::default();
    let mut preview = Preview::new(progress, prefix);
    // When the preview may send next; in the past until the first message.
    let mut next_message = pin!(tokio::time::sleep(Duration::ZERO));
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        tokio::select! {
            read = reader.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    tail.push(&buf[..n]);
                    preview.push(&buf[..n]);
                }
            },
            () = &mut next_message, if preview.has_pending() => {
                preview.send(false);
                next_message.as_mut().reset(Instant::now() + PROGRESS_INTERVAL);
            }
            () = &mut give_up => break,
        }
    }
    preview.send(true);
    tail.into_text()
}

/// The live preview of one output stream: output not yet sent, at most
/// `PROGRESS_CHUNK_LIMIT` bytes of it (the newest), and how much was left out before it.
struct Preview<'a> {
    progress: &'a Sender<ToolProgress>,
    prefix: &'a str,
    pending: Vec<u8>,
    /// Bytes of output since the last message that no message will show.
    skipped: u64,
    /// `pending` ends in an unfinished line that a send already held back once.
    held: bool,
    /// Nobody receives progress any more.
    closed: bool,
}

impl<'a> Preview<'a> {
    fn new(progress: &'a Sender<ToolProgress>, prefix: &'a str) -> Self {
        Self { progress, prefix, pending: Vec::new(), skipped: 0, held: false, closed: false }
    }

    fn has_pending(&self) -> bool {
        !self.closed && (!self.pending.is_empty() || self.skipped > 0)
    }

    fn push(&mut self, bytes: &[u8]) {
        if self.closed {
            return;
        }
        let excess = (self.pending.len() + bytes.len()).saturating_sub(PROGRESS_CHUNK_LIMIT);
        if excess == 0 {
            self.pending.extend_from_slice(bytes);
            return;
        }
        self.skipped += excess as u64;
        if excess >= self.pending.len() {
            self.pending.clear();
            self.pending.extend_from_slice(&bytes[bytes.len() - PROGRESS_CHUNK_LIMIT..]);
        } else {
            self.pending.drain(..excess);
            self.pending.extend_from_slice(bytes);
        }
        // Start the preview at a line start when one is in sight, rather than mid-line.
        if let Some(newline) = self.pending.iter().position(|&b| b == b'\n') {
            if newline + 1 < self.pending.len() {
                self.skipped += newline as u64 + 1;
                self.pending.drain(..=newline);
            }
        }
    }

    /// Sends the pending output as one message unless the channel is full (then it keeps
    /// merging into `pending`). Before the stream's end (`end` false) an unfinished last line
    /// shorter than `PROGRESS_CHUNK_LIMIT` waits for one more send, so lines arrive whole
    /// when they come quickly enough.
    fn send(&mut self, end: bool) {
        if !self.has_pending() || self.progress.capacity() == 0 {
            return;
        }
        let whole_lines = self.pending.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let take = if end || self.held || self.pending.len() >= PROGRESS_CHUNK_LIMIT {
            self.pending.len()
        } else {
            whole_lines
        };
        self.held = take < self.pending.len();
        if take == 0 && self.skipped == 0 {
            return;
        }
        let message = self.message(take);
        self.pending.drain(..take);
        match self.progress.try_send(ToolProgress { fraction: None, message }) {
            Ok(()) => self.skipped = 0,
            Err(TrySendError::Full(_)) => self.skipped += take as u64,
            Err(TrySendError::Closed(_)) => {
                self.closed = true;
                self.pending = Vec::new();
            }
        }
    }

    /// The first `take` pending bytes as a message: one trailing line end removed, `\r\n` as
    /// `\n`, each line prefixed, and a first line saying how much was left out before.
    fn message(&self, take: usize) -> String {
        let mut chunk = &self.pending[..take];
        if let Some(rest) = chunk.strip_suffix(b"\n") {
            chunk = rest.strip_suffix(b"\r").unwrap_or(rest);
        }
        let text = String::from_utf8_lossy(chunk);
        let mut lines: Vec<String> = Vec::new();
        if self.skipped > 0 {
            lines.push(format!("[… {} bytes not shown]", thousands(self.skipped)));
        }
        if take > 0 {
            lines.extend(text.split('\n').map(|line| line.strip_suffix('\r').unwrap_or(line).to_owned()));
        }
        if self.prefix.is_empty() {
            lines.join("\n")
        } else {
            lines.iter().map(|line| format!("{}{line}", self.prefix)).collect::<Vec<_>>().join("\n")
        }
    }
}

/// The last `OUTPUT_LIMIT` bytes of a stream, and the size and line count of all of it.
#[derive(Default)]
struct Tail {
    kept: Vec<u8>,
    total: u64,
    newlines: u64,
    ends_in_newline: bool,
}

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        let Some(&last) = bytes.last() else { return };
        self.total += bytes.len() as u64;
        self.newlines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        self.ends_in_newline = last == b'\n';
        if bytes.len() >= OUTPUT_LIMIT {
            self.kept.clear();
            self.kept.extend_from_slice(&bytes[bytes.len() - OUTPUT_LIMIT..]);
            return;
        }
        self.kept.extend_from_slice(bytes);
        if self.kept.len() > 2 * OUTPUT_LIMIT {
            self.kept.drain(..self.kept.len() - OUTPUT_LIMIT);
        }
    }

    /// The kept bytes as text; when some were left out, after a note of the whole stream's size.
    fn into_text(mut self) -> String {
        if self.kept.len() > OUTPUT_LIMIT {
            self.kept.drain(..self.kept.len() - OUTPUT_LIMIT);
        }
        if self.total == self.kept.len() as u64 {
            return String::from_utf8_lossy(&self.kept).into_owned();
        }
        // Start at a character boundary: skip the continuation bytes of a character cut in two.
        let cut = self.kept.iter().take(3).take_while(|&&b| b & 0xC0 == 0x80).count();
        let shown = &self.kept[cut..];
        let lines = self.newlines + u64::from(!self.ends_in_newline);
        format!(
            "[… {} bytes in {} {}; the last {} bytes follow]\n{}",
            thousands(self.total),
            thousands(lines),
            if lines == 1 { "line" } else { "lines" },
            thousands(shown.len() as u64),
            String::from_utf8_lossy(shown)
        )
    }
}

/// `n` with a comma between each group of three digits: `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (65_536, "65,536"), (1_234_567, "1,234,567")];
        for (n, text) in cases {
            assert_eq!(thousands(n), text);
        }
    }

    #[test]
    fn a_short_stream_is_returned_whole_and_a_long_one_with_its_size() {
        let mut tail = Tail::default();
        tail.push(b"one\ntwo");
        assert_eq!(tail.into_text(), "one\ntwo", "nothing left out, so no note");

        let mut tail = Tail::default();
        for _ in 0..100_000 {
            tail.push(b"line\n");
        }
        tail.push(b"last");
        let text = tail.into_text();
        assert!(
            text.starts_with("[… 500,004 bytes in 100,001 lines; the last 65,536 bytes follow]\n"),
            "the note counts every byte and line, the unfinished last line too: {}",
            &text[..80]
        );
        assert!(text.ends_with("line\nlast"));
        assert_eq!(text.len(), text.find('\n').unwrap() + 1 + OUTPUT_LIMIT, "exactly the limit is kept");
    }

    #[test]
    fn a_cut_character_is_not_shown_half() {
        let mut tail = Tail::default();
        tail.push(&"é".repeat(OUTPUT_LIMIT).into_bytes());
        tail.push(b"!");
        let text = tail.into_text();
        let shown = &text[text.find('\n').unwrap() + 1..];
        assert!(
            shown.strip_suffix('!').unwrap().chars().all(|c| c == 'é'),
            "no replacement character where the cut fell"
        );
        assert!(
            text.contains("the last 65,535 bytes follow"),
            "the note counts what is shown: {}",
            &text[..80]
        );
    }

    #[tokio::test]
    async fn the_preview_holds_an_unfinished_line_once_and_merges_when_the_channel_is_full() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(1);
        let mut preview = Preview::new(&tx, STDERR_PREFIX);
        preview.push(b"a\r\nb\npart");
        preview.send(false);
        let first = rx.try_recv().unwrap().message;
        assert_eq!(first, format!("{STDERR_PREFIX}a\n{STDERR_PREFIX}b"), "whole lines go, each prefixed");
        preview.push(b"ial");
        preview.send(false);
        assert_eq!(rx.try_recv().unwrap().message, format!("{STDERR_PREFIX}partial"), "held once, then sent");

        preview.push(b"x\n");
        preview.send(false);
        preview.push(b"y\n");
        preview.send(false);
        assert_eq!(preview.pending, b"y\n", "with the channel full, output waits in pending");
        for _ in 0..10 {
            preview.push(&[b'z'; PROGRESS_CHUNK_LIMIT]);
        }
        assert_eq!(preview.pending.len(), PROGRESS_CHUNK_LIMIT, "pending never grows past the limit");
        assert_eq!(rx.try_recv().unwrap().message, format!("{STDERR_PREFIX}x"));
        preview.send(true);
        let merged = rx.try_recv().unwrap().message;
        assert!(
            merged.starts_with(&format!("{STDERR_PREFIX}[… 147,458 bytes not shown]\n")),
            "what no message shows is counted: {}",
            &merged[..60]
        );
    }
}
