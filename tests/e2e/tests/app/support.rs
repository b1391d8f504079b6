//! What several tests set up and check outside the window: project folders and their files.

use std::path::{Path, PathBuf};

use coder_e2e::App;

/// Creates the folder `name` under the test's root with `files` (relative path, content) in it,
/// and returns its path. The app does not know it until it is added as a project.
pub fn project_folder(app: &App, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let folder = app.root().join(name);
    for (path, content) in files {
        let file = folder.join(path);
        std::fs::create_dir_all(file.parent().expect("a file has a folder"))
            .unwrap_or_else(|e| panic!("cannot create the folder of {}: {e}", file.display()));
        std::fs::write(&file, content).unwrap_or_else(|e| panic!("cannot write {}: {e}", file.display()));
    }
    std::fs::create_dir_all(&folder).unwrap_or_else(|e| panic!("cannot create {}: {e}", folder.display()));
    folder
}

/// The file's content now (empty when it cannot be read).
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// Waits until the file at `path` holds exactly `expected`.
pub fn wait_file(app: &App, path: &Path, expected: &str, why: &str) {
    app.wait_for_state(&format!("{} to hold {expected:?} ({why})", path.display()), |_| {
        let now = read(path);
        Ok(if now == expected { Ok(()) } else { Err(format!("{now:?}")) })
    });
}
