//! Logs go to `logs/coder.log` in the data directory, where the UI's "Open log" finds them.
//! `RUST_LOG` overrides the level. A log over `ROTATE_AT` is moved aside at start, so the file
//! never grows without bound.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

const ROTATE_AT: u64 = 10 * 1024 * 1024;

/// The log file of a data directory.
pub fn log_file(data_dir: &Path) -> PathBuf {
    data_dir.join("logs").join("coder.log")
}

/// Starts logging to the data directory's log file; when it cannot be opened, to stderr.
pub fn init(data_dir: &Path) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,coder_desktop=debug,coder_agent=debug"));
    let path = log_file(data_dir);
    let file = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| {
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > ROTATE_AT) {
            std::fs::rename(&path, path.with_extension("log.1"))?;
        }
        OpenOptions::new().create(true).append(true).open(&path)
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match file {
        Ok(file) => builder.with_ansi(false).with_writer(Mutex::new(file)).init(),
        Err(e) => {
            builder.with_writer(std::io::stderr).init();
            tracing::warn!(path = %path.display(), error = %e, "cannot open the log file; logging to stderr");
        }
    }
}
