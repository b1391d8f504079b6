//! What the window showed when it closed, so the next start shows it again: today the open
//! thread. Kept in `ui.json` in the data directory — one per data directory, like the store —
//! and never in the log: it is a view's place, not something that happened.
//!
//! A file that is missing, unreadable or malformed is the empty state: the app then opens as on a
//! first start. Writes go to a temporary file that is renamed over the old one, so a crash leaves
//! the old state or the new one, never half of either.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use coder_domain::ThreadId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UiState {
    /// The thread that was open.
    #[serde(default)]
    pub open_thread: Option<ThreadId>,
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("ui.json")
}

/// The state saved last; the empty state when there is none that reads.
pub fn load(data_dir: &Path) -> UiState {
    std::fs::read_to_string(file(data_dir))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

/// Saves `state` in place of the last one, readable by its owner only.
pub fn save(data_dir: &Path, state: &UiState) -> std::io::Result<()> {
    let path = file(data_dir);
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(&tmp)?;
    out.write_all(&serde_json::to_vec(state).map_err(std::io::Error::other)?)?;
    out.sync_all()?;
    drop(out);
    std::fs::rename(&tmp, &path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_thread_is_read_back_after_a_save() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()), UiState::default(), "nothing saved yet: the empty state");
        let state = UiState { open_thread: Some(ThreadId::new()) };
        save(dir.path(), &state).unwrap();
        assert_eq!(load(dir.path()), state);
        save(dir.path(), &UiState::default()).unwrap();
        assert_eq!(load(dir.path()), UiState::default(), "a later save replaces the earlier one");
    }

    #[test]
    fn a_damaged_file_is_the_empty_state() {
        let dir = tempfile::tempdir().unwrap();
        for text in ["", "{", "[1,2]", "{\"open_thread\": \"not a uuid\"}", "\u{0}\u{1}"] {
            std::fs::write(file(dir.path()), text).unwrap();
            assert_eq!(load(dir.path()), UiState::default(), "{text:?} reads as nothing saved");
        }
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &UiState { open_thread: Some(ThreadId::new()) }).unwrap();
        let mode = std::fs::metadata(file(dir.path())).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
