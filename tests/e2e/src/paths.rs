//! Where the harness finds the app and puts its screenshots.

use std::path::{Path, PathBuf};

/// The repository root (this crate lives at `tests/e2e`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("the repository root exists")
}

/// The cargo target directory: `$CARGO_TARGET_DIR`, else the one holding this test binary
/// (`TARGET/debug/deps/app-HASH`), else the repository's `target`.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .filter(|dir| dir.join("debug").is_dir() || dir.join("release").is_dir())
        .unwrap_or_else(|| repo_root().join("target"))
}

/// The app binary: `$CODER_APP`, else `debug/coder-desktop` in the target directory. Panics
/// with what to run when it is missing.
pub fn app_binary() -> PathBuf {
    let path = match std::env::var_os("CODER_APP") {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("debug/coder-desktop"),
    };
    assert!(
        path.is_file(),
        "the app binary {} does not exist: build it first with \
         `(cd ui && npm run build) && cargo build -p coder-desktop` \
         (or point CODER_APP at a build)",
        path.display()
    );
    path
}

/// Where `App::screenshot` writes: `TARGET/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    target_dir().join("e2e-screenshots")
}

/// Whether screenshots should also refresh the README's copies in `docs/`
/// (`CODER_DOCS_SCREENSHOTS=1`).
pub fn docs_screenshots() -> bool {
    std::env::var("CODER_DOCS_SCREENSHOTS").is_ok_and(|v| v == "1")
}
