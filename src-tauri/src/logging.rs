//! Logs go to `logs/coder.log` in the data directory, where the UI's "Open log" finds them.
//! `RUST_LOG` overrides the level. A log over `ROTATE_AT` is moved aside at start, so the file
//! never grows without bound.
//!
//! Logs may name projects, files and errors from providers, so the log file is readable by its
//! owner only (mode 0600, also for a file an earlier version created wider) and its folder is
//! created 0700.
//!
//! Why this is written here rather than taken from the ecosystem: `tracing-appender` rotates by
//! time only (minutely to daily), so a log that must stay under a size would still need this
//! check; `tauri-plugin-log` rotates by size but logs through the `log` facade and `fern`, while
//! Coder's crates (shared with the CLI) log through `tracing` with structured fields. Neither
//! creates the file private to its owner nor narrows one that is wider, which this log needs.
//! What is left here is one size check at start and one rename.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

const ROTATE_AT: u64 = 10 * 1024 * 1024;

/// The log file of a data directory.
pub fn log_file(data_dir: &Path) -> PathBuf {
    data_dir.join("logs").join("coder.log")
}

/// Opens (creating, rotating when over `ROTATE_AT`) the log at `path`, readable by its owner only.
fn open_log(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    }
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_AT) {
        std::fs::rename(path, path.with_extension("log.1"))?;
    }
    let file = OpenOptions::new().create(true).append(true).mode(0o600).open(path)?;
    // `mode` applies only when the file is created; an older, wider file is narrowed.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// Starts logging to the data directory's log file; when it cannot be opened, to stderr.
pub fn init(data_dir: &Path) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,coder_desktop=debug,coder_agent=debug"));
    let path = log_file(data_dir);
    let file = open_log(&path);
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match file {
        Ok(file) => builder.with_ansi(false).with_writer(Mutex::new(file)).init(),
        Err(e) => {
            builder.with_writer(std::io::stderr).init();
            tracing::warn!(path = %path.display(), error = %e, "cannot open the log file; logging to stderr");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn the_log_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_file(dir.path());
        drop(open_log(&path).unwrap());
        assert_eq!(mode(&path), 0o600, "a new log may hold paths and errors: owner only");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(open_log(&path).unwrap());
        assert_eq!(mode(&path), 0o600, "a log an earlier version left readable to all is narrowed");
    }
}
