//! Confinement: turning a path the model gave into a path inside the project root.
//!
//! Invariant: every path these functions return lies inside `root` once symlinks are resolved,
//! so a tool that only touches returned paths never reads or writes outside the project.
//! `root` must be canonical (as `ToolContext::root` is).
//!
//! A model-given path is refused with `ToolError::OutsideProject` when it is absolute, contains a
//! `..` component, or resolves — through a symlink anywhere along it — to a place outside the
//! root. Paths to be created are checked through their nearest existing ancestor, so a
//! symlinked directory leading outside cannot be written through either.
//!
//! A path that cannot name a file sensibly is refused with `ToolError::InvalidPath` before the
//! file system is asked anything: an empty path, a NUL byte, a name longer than `NAME_LIMIT`
//! bytes or a path longer than `PATH_LIMIT` bytes. Paths written to must also be free of
//! backslashes (on Unix a backslash is part of a name, so `src\lib.rs` would create one odd
//! file rather than a file in `src`) and must resolve to a name that is UTF-8 text, since the
//! change is recorded under that name.
//!
//! What is not covered: a process outside the agent swapping a checked directory for a symlink
//! between the check and the use. The agent itself is the only writer it guards against.

use std::io::ErrorKind;
use std::path::{Component, Path, PathBuf};

use super::ToolError;

/// Most bytes in one component of a path (the usual file-system limit on a name).
pub const NAME_LIMIT: usize = 255;
/// Most bytes in a whole path: the one given, and the absolute path a write resolves to (Linux
/// takes at most 4096 bytes, its terminating NUL included).
pub const PATH_LIMIT: usize = 4095;

/// Why a path cannot be used, whatever the file system holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathProblem {
    #[error("the path is empty; give a path relative to the project root")]
    Empty,
    #[error("the path contains a NUL byte")]
    NulByte,
    #[error("the path contains a backslash; separate directories with `/`")]
    Backslash,
    #[error("it leads to a file whose name is not UTF-8 text")]
    NotUtf8,
    #[error("a name in it is {bytes} bytes long, over the limit of {limit}")]
    NameTooLong { bytes: usize, limit: usize },
    #[error("it is {bytes} bytes long, over the limit of {limit}")]
    TooLong { bytes: usize, limit: usize },
}

/// The existing file or directory `path` names, canonicalized.
///
/// Errors: `OutsideProject` as described in the module docs (also for a missing path whose
/// nearest existing ancestor is outside, so nothing is told about what exists out there);
/// `NotFound` when nothing exists there (a dangling symlink counts as nothing); `InvalidPath`
/// for a path no file can have (see the module docs).
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
/// Also `InvalidPath` for a backslash, a location whose name is not UTF-8, or one whose absolute
/// path is over `PATH_LIMIT`.
pub fn resolve_for_write(root: &Path, path: &str) -> Result<PathBuf, ToolError> {
    check_writable(path)?;
    let real = resolve_write_location(root, path)?;
    check_location(root, &real, path)?;
    Ok(real)
}

/// The existing file `path` names, to be rewritten in place: `resolve_existing` with the
/// checks of `resolve_for_write`.
pub fn resolve_for_edit(root: &Path, path: &str) -> Result<PathBuf, ToolError> {
    check_writable(path)?;
    let real = resolve_existing(root, path)?;
    check_location(root, &real, path)?;
    Ok(real)
}

/// Where a write to `path` lands, confined to `root` but not yet checked for its name and length.
fn resolve_write_location(root: &Path, path: &str) -> Result<PathBuf, ToolError> {
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

/// The checks that need no file system: not empty, no NUL, within the length limits, relative,
/// no `..`.
fn check_lexically(path: &str) -> Result<&Path, ToolError> {
    let invalid = |problem| Err(invalid_path(path, problem));
    if path.is_empty() {
        return invalid(PathProblem::Empty);
    }
    if path.contains('\0') {
        return invalid(PathProblem::NulByte);
    }
    if path.len() > PATH_LIMIT {
        return invalid(PathProblem::TooLong { bytes: path.len(), limit: PATH_LIMIT });
    }
    if let Some(long) = path.split('/').map(str::len).find(|&bytes| bytes > NAME_LIMIT) {
        return invalid(PathProblem::NameTooLong { bytes: long, limit: NAME_LIMIT });
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

/// What only a path to be written must satisfy, beyond `check_lexically`.
fn check_writable(path: &str) -> Result<(), ToolError> {
    if path.contains('\\') {
        return Err(invalid_path(path, PathProblem::Backslash));
    }
    Ok(())
}

/// `real`, where a write lands, can be recorded under its name and handed to the OS whole.
fn check_location(root: &Path, real: &Path, path: &str) -> Result<(), ToolError> {
    let inner = real.strip_prefix(root).unwrap_or(real);
    if inner.to_str().is_none() {
        return Err(invalid_path(path, PathProblem::NotUtf8));
    }
    let bytes = real.as_os_str().len();
    if bytes > PATH_LIMIT {
        return Err(invalid_path(path, PathProblem::TooLong { bytes, limit: PATH_LIMIT }));
    }
    Ok(())
}

/// Longest path quoted in an `InvalidPath` error; a longer one is cut, so a huge path given by
/// the model does not make a huge error.
const QUOTE_LIMIT: usize = 200;

fn invalid_path(path: &str, problem: PathProblem) -> ToolError {
    let path = if path.len() <= QUOTE_LIMIT {
        path.to_owned()
    } else {
        let cut = (0..=QUOTE_LIMIT).rev().find(|&i| path.is_char_boundary(i)).unwrap_or(0);
        format!("{}…", &path[..cut])
    };
    ToolError::InvalidPath { path, problem }
}

pub(super) fn io_error(path: &str, err: &std::io::Error) -> ToolError {
    if err.kind() == ErrorKind::NotFound {
        ToolError::NotFound(path.to_owned())
    } else {
        ToolError::Io(format!("{path}: {err}"))
    }
}
