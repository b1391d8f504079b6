//! Cold start, measured in a child process so that its peak RSS is its own: the bench re-runs
//! the current executable with `COLD_START_ENV` naming a data directory; that executable's
//! `main` calls `cold_start_child_main` first, which opens the engine there, lists the threads,
//! and answers on stdout with the time since the parent spawned it and its peak RSS (`VmHWM`).
//!
//! The time runs from just before the parent's `spawn` — exec, loading and `main` included — to
//! the thread list in hand, on one wall clock (`SystemTime`) shared by parent and child. The
//! store's pages are in the OS page cache (it was just written): this is a warm-disk start.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use coder_domain::ThreadFilter;
use coder_engine::Engine;

use crate::error::BenchError;

/// Environment variable that makes a process the cold-start child: the data directory to open.
pub const COLD_START_ENV: &str = "CODER_BENCH_COLD_START";
/// When the parent spawned the child, in nanoseconds since the Unix epoch.
const SPAWNED_AT_ENV: &str = "CODER_BENCH_SPAWNED_AT";
/// First word of the child's answer line.
const ANSWER: &str = "coder-bench-cold-start";

/// One cold start as the child saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ColdStart {
    pub ms: f64,
    pub peak_rss_mb: f64,
    pub threads: usize,
}

/// When `COLD_START_ENV` is set, runs the cold-start child and returns the exit code for `main`
/// to exit with; otherwise returns `None` at once and `main` goes on. Every executable that calls
/// `run` must call this first thing in `main`.
pub fn cold_start_child_main() -> Option<i32> {
    let dir = std::env::var_os(COLD_START_ENV)?;
    let spawned_at = std::env::var(SPAWNED_AT_ENV).ok().and_then(|v| v.parse::<u128>().ok());
    let engine = match Engine::open(&dir) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("{ANSWER}: cannot open the engine in {}: {e}", Path::new(&dir).display());
            return Some(1);
        }
    };
    let threads = engine.threads(&ThreadFilter::default()).len();
    let now = since_epoch(SystemTime::now()).as_nanos();
    let Some(spawned_at) = spawned_at else {
        eprintln!("{ANSWER}: {SPAWNED_AT_ENV} is missing");
        return Some(1);
    };
    let ms = now.saturating_sub(spawned_at) as f64 / 1e6;
    let rss_kb = peak_rss_kb().unwrap_or(0);
    answer(&format!("{ANSWER} {ms} {rss_kb} {threads}"));
    // The engine is left to the process exit: no clean-shutdown snapshots, the child only looks.
    drop(engine);
    Some(0)
}

/// The child's answer goes to stdout, where the parent reads it.
#[allow(clippy::print_stdout)]
fn answer(line: &str) {
    println!("{line}");
}

/// Runs one cold start of the engine on `data_dir` in a child process.
pub(crate) fn measure(data_dir: &Path) -> Result<ColdStart, BenchError> {
    let exe = std::env::current_exe().map_err(BenchError::io("finding the current executable"))?;
    let spawned_at = since_epoch(SystemTime::now()).as_nanos();
    let output = Command::new(&exe)
        .env(COLD_START_ENV, data_dir)
        .env(SPAWNED_AT_ENV, spawned_at.to_string())
        .stdin(Stdio::null())
        .output()
        .map_err(BenchError::io(format!("running {}", exe.display())))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let answer = stdout.lines().find_map(|line| line.strip_prefix(ANSWER).map(str::trim));
    let Some(answer) = answer else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(BenchError::ColdStart(format!(
            "{} gave no answer ({}); its main must call coder_bench::cold_start_child_main() first. \
             stderr: {}",
            exe.display(),
            output.status,
            stderr.trim()
        )));
    };
    let fields: Vec<f64> = answer.split_whitespace().filter_map(|f| f.parse().ok()).collect();
    match fields[..] {
        [ms, rss_kb, threads] => {
            Ok(ColdStart { ms, peak_rss_mb: rss_kb / 1024.0, threads: threads as usize })
        }
        _ => Err(BenchError::ColdStart(format!("cannot read its answer {answer:?}"))),
    }
}

fn since_epoch(t: SystemTime) -> Duration {
    t.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// `VmHWM` of this process, in kB: its peak resident set (Linux only).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
