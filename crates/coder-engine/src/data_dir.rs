//! Where Coder keeps its data: `CODER_DATA_DIR` if set, else the OS data directory
//! (`~/.local/share/coder` on Linux).

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Environment variable that overrides the data directory.
pub const DATA_DIR_ENV: &str = "CODER_DATA_DIR";

/// The data directory to use when none is given explicitly.
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    dirs::data_dir().map(|d| d.join("coder"))
}

/// Only the owner may list or enter the data directory: it holds the log of everything said and
/// done, and the settings.
pub const DATA_DIR_MODE: u32 = 0o700;

/// Creates the data directory private to its owner, and makes an existing one private.
pub fn make_private(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).mode(DATA_DIR_MODE).create(dir)?;
    let permissions = std::fs::metadata(dir)?.permissions();
    if permissions.mode() & 0o777 != DATA_DIR_MODE {
        tracing::warn!(dir = %dir.display(), mode = format!("{:o}", permissions.mode() & 0o777), "making the data directory private to its owner");
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DATA_DIR_MODE))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_directory_is_private_to_its_owner() {
        let parent = tempfile::TempDir::new().unwrap();
        let fresh = parent.path().join("fresh/coder");
        make_private(&fresh).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&fresh), 0o700, "a new data directory is created private");
        let open = parent.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        make_private(&open).unwrap();
        assert_eq!(mode(&open), 0o700, "an existing one readable by others is made private");
    }
}
