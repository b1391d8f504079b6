//! The project's files as `list_files` and `search` see them.
//!
//! Ignore rules are those git would apply — `.gitignore` files, `.git/info/exclude`, the
//! person's global excludes — plus `.ignore` files, even when the project is not a git
//! repository; rules above the project root are not read. Hidden entries are skipped, `.git`
//! always. Symlinks are reported but never followed. Entries come depth-first, sorted by name.
//!
//! Walking a directory below the root starts at the root and descends only towards it, so the
//! root's rules apply inside it. A directory that those rules skip (asked for by name, such as
//! `target` or `.github`) is walked from itself instead: asking for it is asking to see it.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use ignore::{DirEntry, WalkBuilder};

/// Calls `visit` with every entry below `dir` (canonical, inside the canonical `root`, a
/// directory), until it returns `Break`.
pub(crate) fn walk(root: &Path, dir: &Path, mut visit: impl FnMut(&DirEntry) -> ControlFlow<()>) {
    if dir == root {
        let _ = visit_all(builder(root, None), &mut visit);
        return;
    }
    let target = dir.to_path_buf();
    let mut seen_target = false;
    let towards_target = builder(root, Some(target.clone()));
    let flow = visit_all(towards_target, &mut |entry: &DirEntry| {
        let path = entry.path();
        if path == target {
            seen_target = true;
            ControlFlow::Continue(())
        } else if path.starts_with(&target) {
            visit(entry)
        } else {
            // An ancestor of the target.
            ControlFlow::Continue(())
        }
    });
    if flow.is_continue() && !seen_target {
        let _ = visit_all(builder(dir, None), &mut visit);
    }
}

fn visit_all(builder: WalkBuilder, visit: &mut impl FnMut(&DirEntry) -> ControlFlow<()>) -> ControlFlow<()> {
    // Unreadable entries (permissions, races with deletion) are skipped.
    for entry in builder.build().flatten() {
        if entry.depth() == 0 {
            continue;
        }
        visit(&entry)?;
    }
    ControlFlow::Continue(())
}

/// A walker from `start`; with `towards`, it descends only into ancestors of that path and
/// into the path itself.
fn builder(start: &Path, towards: Option<PathBuf>) -> WalkBuilder {
    let mut builder = WalkBuilder::new(start);
    builder
        .hidden(true)
        .parents(false)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(true)
        .require_git(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            entry.file_name() != ".git"
                && towards
                    .as_ref()
                    .is_none_or(|target| target.starts_with(entry.path()) || entry.path().starts_with(target))
        });
    builder
}
