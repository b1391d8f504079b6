//! # coder-bench
//!
//! Benchmarks of Coder's event store and engine against what a typical app would write instead:
//! a plain SQLite event table (WAL, `synchronous=FULL`, the envelope as a JSON body, an index on
//! (stream, sequence)), measured in the same run on the same synthetic conversations, the two
//! systems alternating round by round, medians reported. [`run`] returns the [`FIGURES`] (ratios
//! and times, each with its goal), the raw numbers behind them in `details`, and a note for each
//! missed goal. `coder bench [--json]` prints it.
//!
//! The cold-start figures are measured in a child process — the current executable, run again —
//! so that its peak RSS is its own: every executable that calls [`run`] must call
//! [`cold_start_child_main`] first thing in `main`.
//!
//! Modules: `workload` (synthetic conversations), `sqlite` (the baseline), `bulk` (building the
//! large stores), `projections` (the replay fold both sides share), `figures` (one function per
//! figure), `cold_start` (the child process), `inspect` (what the store file holds), `sizes`,
//! `measure` (medians, progress), `report`.

mod bulk;
mod cold_start;
mod error;
mod figures;
mod inspect;
mod measure;
mod projections;
mod report;
mod seed;
mod sizes;
mod sqlite;
mod workload;

use std::path::PathBuf;

pub use cold_start::{cold_start_child_main, COLD_START_ENV};
pub use error::BenchError;
pub use report::{BenchReport, Figure, Goal, FIGURES};
pub use seed::write_long_thread;

use crate::bulk::{fresh_dir, remove_dir};
use crate::measure::Progress;
use crate::sizes::Sizes;
use crate::sqlite::SqliteLog;

/// How to run the benchmarks.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// 1.0 runs the full sizes the figures are defined at (a 1,000,000-event store, a
    /// 100,000-message thread, …; about two minutes on 2 cores); smaller values shrink every
    /// workload, down to floors that keep each figure meaningful (0.002 takes seconds, for tests).
    pub scale: f64,
    /// Where the stores are built, one subdirectory per phase, each removed once measured. It
    /// should be on the disk Coder's data lives on: fsync costs are the disk's.
    pub work_dir: PathBuf,
    /// One line per phase on stderr.
    pub progress: bool,
}

/// What the figures are measured with.
pub(crate) struct Bench {
    pub sizes: Sizes,
    pub work_dir: PathBuf,
    pub progress: Progress,
    pub report: BenchReport,
}

/// Runs every benchmark once and reports the figures.
pub fn run(opts: &BenchOptions) -> Result<BenchReport, BenchError> {
    if !(opts.scale.is_finite() && opts.scale > 0.0) {
        return Err(BenchError::Options(format!("scale must be a positive number, not {}", opts.scale)));
    }
    std::fs::create_dir_all(&opts.work_dir)
        .map_err(BenchError::io(format!("creating {}", opts.work_dir.display())))?;
    let mut bench = Bench {
        sizes: Sizes::at(opts.scale),
        work_dir: opts.work_dir.clone(),
        progress: Progress::new(opts.progress),
        report: BenchReport::default(),
    };
    bench.report.detail("scale", opts.scale);
    figures::stream_bytes(&mut bench)?;
    figures::open_thread(&mut bench)?;
    large_store_figures(&mut bench)?;
    bench.progress.say("done");
    Ok(bench.report)
}

/// The figures measured on the large store and its SQLite twin, in an order that leaves each
/// measurement the state it needs: sizes before the engine adds snapshots, the cold start after
/// one clean shutdown, the appends last.
fn large_store_figures(b: &mut Bench) -> Result<(), BenchError> {
    let dir = b.work_dir.join("large");
    fresh_dir(&dir)?;
    let events = b.sizes.threads * b.sizes.events_per_thread;
    b.progress.say(format!(
        "building the large store: ~{events} events in {} threads, both systems",
        b.sizes.threads
    ));
    let large = bulk::large_store(&dir, &b.sizes, &b.progress)?;
    b.report.detail("large_coder_import_events_per_s", large.events as f64 / large.coder_time.as_secs_f64());
    b.report
        .detail("large_sqlite_insert_events_per_s", large.events as f64 / large.sqlite_time.as_secs_f64());
    figures::bytes_per_event(b, &large)?;
    figures::replay(b, &large)?;
    figures::cold_start(b, &large)?;
    let store = coder_store::EventStore::open(large.coder_path())?;
    let mut sqlite = SqliteLog::open(&large.sqlite)?;
    figures::append_latency(b, &large, &store, &mut sqlite)?;
    figures::concurrent(b, &store, &mut sqlite)?;
    store.close();
    drop(sqlite);
    remove_dir(&dir)
}
