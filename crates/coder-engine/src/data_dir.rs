//! Where Coder keeps its data: `CODER_DATA_DIR` if set, else the OS data directory
//! (`~/.local/share/coder` on Linux).

use std::path::PathBuf;

/// Environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "CODER_DATA_DIR";

/// The data directory to use when none is given explicitly.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("coder"))
}
