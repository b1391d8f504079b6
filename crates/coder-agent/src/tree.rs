//! What a command changed: the project's files before and after, compared.
//!
//! Before a command runs, the runner reads every file the project does not ignore (gitignore
//! rules, hidden files and `.git` skipped, each file up to `FILE_LIMIT`, all of them up to
//! `TOTAL_LIMIT`); afterwards it reads them again and records every difference as a file change
//! of the run. This catches whatever the command did — formatters, code generators, `git
//! checkout` — with the exact content before and after, so each change can be diffed and
//! reverted like a tool's write.

use std::collections::BTreeMap;
use std::path::Path;

use crate::tools::FileWrite;

/// Files larger than this are not tracked.
const FILE_LIMIT: u64 = 1024 * 1024;
/// Tracking stops after this many bytes in all.
const TOTAL_LIMIT: u64 = 64 * 1024 * 1024;

/// Path relative to the root (with `/`) → content.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// Reads the project's tracked files.
pub fn read(root: &Path) -> Tree {
    let mut tree = Tree::new();
    let mut total = 0u64;
    let walker = ignore::WalkBuilder::new(root).hidden(true).require_git(false).follow_links(false).build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if meta.len() > FILE_LIMIT || total + meta.len() > TOTAL_LIMIT {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else { continue };
        let Some(relative) = relative.to_str() else { continue };
        if let Ok(bytes) = std::fs::read(entry.path()) {
            total += bytes.len() as u64;
            tree.insert(relative.replace(std::path::MAIN_SEPARATOR, "/"), bytes);
        }
    }
    tree
}

/// Every file that differs between two reads: created, modified or deleted.
pub fn diff(before: &Tree, after: &Tree) -> Vec<FileWrite> {
    let mut writes = Vec::new();
    for (path, old) in before {
        match after.get(path) {
            Some(new) if new == old => {}
            Some(new) => writes.push(FileWrite {
                path: path.clone(),
                before: Some(old.clone()),
                after: Some(new.clone()),
            }),
            None => writes.push(FileWrite { path: path.clone(), before: Some(old.clone()), after: None }),
        }
    }
    for (path, new) in after {
        if !before.contains_key(path) {
            writes.push(FileWrite { path: path.clone(), before: None, after: Some(new.clone()) });
        }
    }
    writes
}
