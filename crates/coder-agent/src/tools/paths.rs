//! Confinement: turning a path the model gave into a path inside the project root.
//!
//! Invariant: every path these functions return lies inside `root` once symlinks are resolved,
//! so a tool that only touches returned paths never reads or writes outside the project.
//! `root` must be canonical (as `ToolContext::root` is).
//!
//! A model-given path is refused with `ToolError::OutsideProject` when it is absolute, contains a
//! `..` component or a NUL byte, or resolves — through a symlink anywhere along it — to a place
//! outside the root. Paths to be created are checked through their nearest existing ancestor,
//! so a symlinked directory leading outside cannot be written through either.
//!
//! What is not covered: a process outside the agent swapping a checked directory for a symlink
//! between the check and the use. The agent itself is the only writer it guards against.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use super::ToolError;

/// The existing file or directory `path` names, canonicalized.
///
/// Errors: `OutsideProject` as described in the module docs (also for a missing path whose
/// nearest existing ancestor is outside, so nothing is told about what exists out there);
/// `NotFound` when nothing exists there (a dangling symlink counts as nothing); `InvalidInput`
/// for an empty path.
pub fn resolve_existing(root: &Path, path: &str) -> Result<PathBuf, ToolError> {
    let relative = check_lexically(path)?;
    let joined = root.join(relative);
    match joined.canonicalize() {
        Ok(real) if real.starts_with(root) => Ok(real),
        Ok(_) => Err(ToolError::OutsideProject(path.to_owned())),
        Err(err) if err.kind() == ErrorKind::NotFound => {
            if joined.symlink_metadata().is_err() {
                resolve_missing(root, &joined, path)?;
            }
            Err(ToolError::NotFound(path.to_owned()))
        }
        Err(err) => Err(io_error(path, &err)),
    }
}

/// Where a write to `path` lands: the canonical path of the file if it exists (following a
/// symlink only when its target is inside the root), otherwise the canonical nearest existing
/// ancestor joined with the components still to be created.
///
/// Errors as `resolve_existing`, except that a missing file is fine; a symlink whose target
/// does not exist is refused, since writing through it would create a file wherever it points.
pub fn resolve_for_write(root: &Path, path: &str) -> Result<PathBuf, ToolError> {
    let relative = check_lexically(path)?;
    let joined = root.join(relative);
    match joined.symlink_metadata() {
        Ok(meta) => match joined.canonicalize() {
            Ok(real) if real.starts_with(root) => Ok(real),
            Ok(_) => Err(ToolError::OutsideProject(path.to_owned())),
            Err(_) if meta.file_type().is_symlink() => Err(ToolError::InvalidInput(format!(
                "{path} is a symbolic link to something that does not exist; write to a real path instead"
            ))),
            Err(err) => Err(io_error(path, &err)),
        },
        Err(err) if err.kind() == ErrorKind::NotFound => resolve_missing(root, &joined, path),
        Err(err) => Err(io_error(path, &err)),
    }
}

/// Where the missing `joined` would be created: its nearest existing ancestor, canonicalized
/// and required inside `root`, joined with the components still missing.
fn resolve_missing(root: &Path, joined: &Path, path: &str) -> Result<PathBuf, ToolError> {
    let outside = || ToolError::OutsideProject(path.to_owned());
    let mut missing = Vec::new();
    let mut existing = joined;
    // `root` itself exists, so this stops at it at the latest.
    while existing.symlink_metadata().is_err() {
        missing.push(existing.file_name().ok_or_else(outside)?.to_owned());
        existing = existing.parent().ok_or_else(outside)?;
    }
    let real = existing.canonicalize().map_err(|_| outside())?;
    if !real.starts_with(root) {
        return Err(outside());
    }
    Ok(missing.iter().rev().fold(real, |acc, name| acc.join(name)))
}

/// `path` (inside `root`) relative to `root`, with `/` separators: `src/main.rs`. The root
/// itself is `.`.
pub fn relative(root: &Path, path: &Path) -> String {
    let inner = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<_> = inner.components().map(|c| c.as_os_str().to_string_lossy()).collect();
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// The checks that need no file system: not empty, relative, no `..`, no NUL.
fn check_lexically(path: &str) -> Result<&Path, ToolError> {
    if path.is_empty() {
        return Err(ToolError::InvalidInput(
            "the path is empty; give a path relative to the project root".into(),
        ));
    }
    if path.contains('\0') {
        return Err(ToolError::InvalidInput("the path contains a NUL byte".into()));
    }
    let relative = Path::new(path);
    let escapes = relative
        .components()
        .any(|c| matches!(c, Component::ParentDir | Component::RootDir | Component::Prefix(_)));
    if escapes || relative.is_absolute() {
        return Err(ToolError::OutsideProject(path.to_owned()));
    }
    Ok(relative)
}

pub(super) fn io_error(path: &str, err: &std::io::Error) -> ToolError {
    if err.kind() == ErrorKind::NotFound {
        ToolError::NotFound(path.to_owned())
    } else {
        ToolError::Io(format!("{path}: {err}"))
    }
}
