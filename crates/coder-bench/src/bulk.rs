//! Building large stores fast: planned events get their places in the log (`LogBuilder`) and go
//! to Coder's store in import transactions of a few thousand events — the same writer, record
//! encoding and indexes as `append`, without one durable commit per stream segment — and, when
//! asked, to the SQLite baseline in transactions of the same size.
//!
//! Why import rather than `append`: a conversation alternates between its thread's stream and its
//! runs' streams every few events, and one `append` holds one stream. Appending it faithfully
//! would cost a commit per segment (about 250,000 for the large store); appending it per stream
//! would reorder the log. An import writes exactly the log the engine would have written.

use std::path::{Path, PathBuf};
use std::time::Duration;

use coder_domain::{EventEnvelope, StreamId, ThreadId};
use coder_store::{EventStore, STORE_FILE};

use crate::error::BenchError;
use crate::measure::{timed, Progress};
use crate::sizes::Sizes;
use crate::sqlite::SqliteLog;
use crate::workload::{LogBuilder, Planned, Workload};

/// Writes planned events to Coder's store and optionally to the SQLite baseline, in batches.
pub(crate) struct Loader<'a> {
    store: &'a EventStore,
    sqlite: Option<&'a mut SqliteLog>,
    builder: LogBuilder,
    batch: Vec<EventEnvelope>,
    batch_size: usize,
    pub events: u64,
    pub coder_time: Duration,
    pub sqlite_time: Duration,
}

impl<'a> Loader<'a> {
    /// A loader continuing `store`'s log.
    pub fn new(store: &'a EventStore, sqlite: Option<&'a mut SqliteLog>, batch_size: usize) -> Self {
        Self {
            builder: LogBuilder::after(store.last_sequence()),
            store,
            sqlite,
            batch: Vec::with_capacity(batch_size),
            batch_size,
            events: 0,
            coder_time: Duration::ZERO,
            sqlite_time: Duration::ZERO,
        }
    }

    /// Continues `stream` after the events it has in the store already.
    pub fn continue_stream(&mut self, stream: StreamId) -> Result<(), BenchError> {
        self.builder.set_version(stream, self.store.stream_version(stream)?);
        Ok(())
    }

    pub fn push_all(&mut self, planned: impl IntoIterator<Item = Planned>) -> Result<(), BenchError> {
        for p in planned {
            self.batch.push(self.builder.place(p));
            if self.batch.len() >= self.batch_size {
                self.flush()?;
            }
        }
        Ok(())
    }

    pub fn flush(&mut self) -> Result<(), BenchError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(self.batch_size));
        self.events += batch.len() as u64;
        if let Some(sqlite) = self.sqlite.as_deref_mut() {
            let (result, took) = timed(|| sqlite.insert_all(&batch));
            result?;
            self.sqlite_time += took;
        }
        let (result, took) = timed(|| self.store.import_blocking(batch, Vec::new()));
        result?;
        self.coder_time += took;
        Ok(())
    }
}

/// The large store: the same events in Coder's store (in `dir`, the engine's data directory)
/// and in the SQLite baseline.
pub(crate) struct LargeStore {
    pub dir: PathBuf,
    pub sqlite: PathBuf,
    pub events: u64,
    pub threads: usize,
    pub coder_time: Duration,
    pub sqlite_time: Duration,
}

impl LargeStore {
    pub fn coder_path(&self) -> PathBuf {
        self.dir.join(STORE_FILE)
    }
}

/// Builds `sizes.threads` threads of about `sizes.events_per_thread` events each, one turn per
/// thread in rotation, so the log interleaves threads as a person's days do.
pub(crate) fn large_store(dir: &Path, sizes: &Sizes, progress: &Progress) -> Result<LargeStore, BenchError> {
    let sqlite_path = dir.join("events.sqlite");
    let store = EventStore::open(dir.join(STORE_FILE))?;
    let mut sqlite = SqliteLog::open(&sqlite_path)?;
    let mut workload = Workload::new(0x5EED_0001);
    let threads: Vec<ThreadId> = (0..sizes.threads).map(|_| ThreadId::new()).collect();
    let mut written = vec![0usize; threads.len()];
    let mut loader = Loader::new(&store, Some(&mut sqlite), sizes.import_batch);
    loader.push_all(threads.iter().map(|t| workload.create_thread(*t)))?;
    let mut turn = Vec::new();
    let target = sizes.threads * sizes.events_per_thread;
    let mut next_report = target / 4;
    loop {
        let mut open = false;
        for (thread, count) in threads.iter().zip(written.iter_mut()) {
            if *count + 1 >= sizes.events_per_thread {
                continue;
            }
            open = true;
            workload.turn(*thread, &mut turn);
            *count += turn.len();
            loader.push_all(turn.drain(..))?;
        }
        if loader.events as usize >= next_report {
            progress.say(format!("  … {} events written", loader.events));
            next_report += target / 4;
        }
        if !open {
            break;
        }
    }
    loader.flush()?;
    let (events, coder_time, sqlite_time) = (loader.events, loader.coder_time, loader.sqlite_time);
    drop(loader);
    store.close();
    Ok(LargeStore {
        dir: dir.to_path_buf(),
        sqlite: sqlite_path,
        events,
        threads: threads.len(),
        coder_time,
        sqlite_time,
    })
}

/// A fresh directory for a phase, emptied of what an earlier run may have left.
pub(crate) fn fresh_dir(dir: &Path) -> Result<(), BenchError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(BenchError::io(format!("emptying {}", dir.display())))?;
    }
    std::fs::create_dir_all(dir).map_err(BenchError::io(format!("creating {}", dir.display())))
}

/// Removes a phase's directory once its figures are taken.
pub(crate) fn remove_dir(dir: &Path) -> Result<(), BenchError> {
    std::fs::remove_dir_all(dir).map_err(BenchError::io(format!("removing {}", dir.display())))
}
