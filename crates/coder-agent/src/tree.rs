//! What a command changed: the project's files before and after, compared.
//!
//! Before a command runs, the runner reads every file the project does not ignore (gitignore
//! rules, hidden files and `.git` skipped, each file up to `FILE_LIMIT`, all of them up to
//! `TOTAL_LIMIT`); afterwards it reads them again and records every difference as a file change
//! of the run. This catches whatever the command did — formatters, code generators, `git
//! checkout` — with the exact content before and after, so each change can be diffed and
//! reverted like a tool's write.
//!
//! A file whose path the log cannot hold (see `recordable`) is left out with a logged reason;
//! it never fails the command's run.

use std::collections::BTreeMap;
use std::path::Path;

use crate::tools::FileWrite;

/// Files larger than this are not tracked.
const FILE_LIMIT: u64 = 1024 * 1024;
/// Tracking stops after this many bytes in all.
const TOTAL_LIMIT: u64 = 64 * 1024 * 1024;

/// The project's tracked files: path relative to the root (with `/`) → content, and the paths
/// that were seen but not read (too large, or past the total budget) — their content is unknown,
/// so a comparison must not take their absence for a deletion or their presence for a creation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub files: BTreeMap<String, Vec<u8>>,
    pub skipped: std::collections::BTreeSet<String>,
}

/// Reads the project's tracked files.
pub fn read(root: &Path) -> Tree {
    walk(root, root)
}

/// Reads the tracked files at `relative` (one file, or a directory and everything in it) with
/// the same rules as `read`; empty when nothing is there. A path that is hidden or ignored by the
/// project's root `.gitignore` yields nothing.
pub fn read_at(root: &Path, relative: &str) -> Tree {
    if is_ignored(root, relative) {
        return Tree::default();
    }
    let start = root.join(relative);
    if !start.exists() {
        return Tree::default();
    }
    walk(root, &start)
}

/// True for a path `read` never reports (see `IgnoreRules`).
pub fn is_ignored(root: &Path, relative: &str) -> bool {
    IgnoreRules::load(root).ignores(relative)
}

/// Which paths `read` never reports: hidden ones (any part starts with `.`, `.git` included) and
/// those the root `.gitignore` ignores. Nested `.gitignore` files are applied by the walk itself.
#[derive(Debug)]
pub struct IgnoreRules {
    root: std::path::PathBuf,
    rules: Option<ignore::gitignore::Gitignore>,
}

impl IgnoreRules {
    /// The rules of the project at `root` as its `.gitignore` says now.
    pub fn load(root: &Path) -> Self {
        let mut builder = ignore::gitignore::GitignoreBuilder::new(root);
        let _missing_is_fine = builder.add(root.join(".gitignore"));
        Self { root: root.to_path_buf(), rules: builder.build().ok() }
    }

    pub fn ignores(&self, relative: &str) -> bool {
        if relative.split('/').any(|part| part.starts_with('.')) {
            return true;
        }
        self.rules.as_ref().is_some_and(|rules| {
            let path = self.root.join(relative);
            rules.matched_path_or_any_parents(&path, path.is_dir()).is_ignore()
        })
    }
}

fn walk(root: &Path, start: &Path) -> Tree {
    let mut tree = Tree::default();
    let mut total = 0u64;
    let walker = ignore::WalkBuilder::new(start).hidden(true).require_git(false).follow_links(false).build();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                // A directory that cannot be listed, a path too long to open: what is below it is
                // not tracked, and a change there is not recorded.
                tracing::warn!(error = %e, "part of the project not tracked");
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let Ok(relative) = entry.path().strip_prefix(root) else { continue };
        let relative = match recordable(relative) {
            Ok(relative) => relative,
            Err(reason) => {
                tracing::warn!(
                    path = %entry.path().display(),
                    reason,
                    "file not tracked: its changes cannot be recorded or reverted"
                );
                continue;
            }
        };
        if meta.len() > FILE_LIMIT || total + meta.len() > TOTAL_LIMIT {
            tree.skipped.insert(relative);
            continue;
        }
        match std::fs::read(entry.path()) {
            Ok(bytes) => {
                total += bytes.len() as u64;
                tree.files.insert(relative, bytes);
            }
            Err(_) => {
                tree.skipped.insert(relative);
            }
        }
    }
    tree
}

/// `relative` as the log records it (`/`-separated), or why the log cannot hold it: a name that
/// is not UTF-8, holds a backslash (on Unix part of the name, where the log reads it as a
/// separator) or a path longer than the domain accepts. Such a file is left out of every read,
/// so a command that touches it is never failed for it; the same rules as `RecordFileChange`.
pub fn recordable(relative: &Path) -> Result<String, &'static str> {
    let text = relative.to_str().ok_or("its name is not UTF-8 text")?;
    if text.contains('\\') && std::path::MAIN_SEPARATOR != '\\' {
        return Err("its name contains a backslash");
    }
    let text = text.replace(std::path::MAIN_SEPARATOR, "/");
    if text.len() > coder_domain::limits::PATH_BYTES {
        return Err("its path is longer than Coder records");
    }
    Ok(text)
}

impl Tree {
    /// The part of the tree at `relative`: that file, or everything below that directory.
    pub fn under(&self, relative: &str) -> Tree {
        let inside = |p: &String| p == relative || p.starts_with(&format!("{relative}/"));
        Tree {
            files: self
                .files
                .iter()
                .filter(|(p, _)| inside(p))
                .map(|(p, c)| (p.clone(), c.clone()))
                .collect(),
            skipped: self.skipped.iter().filter(|p| inside(p)).cloned().collect(),
        }
    }

    /// Replaces the part of the tree at `relative` with `part`.
    pub fn replace_under(&mut self, relative: &str, part: Tree) {
        let inside = |p: &String| p == relative || p.starts_with(&format!("{relative}/"));
        self.files.retain(|p, _| !inside(p));
        self.skipped.retain(|p| !inside(p));
        self.files.extend(part.files);
        self.skipped.extend(part.skipped);
    }
}

/// Every file that differs between two reads: created, modified or deleted. Paths either read
/// skipped are left out: what happened to them is unknown.
pub fn diff(before: &Tree, after: &Tree) -> Vec<FileWrite> {
    let unknown = |path: &String| before.skipped.contains(path) || after.skipped.contains(path);
    let mut writes = Vec::new();
    for (path, old) in before.files.iter().filter(|(p, _)| !unknown(p)) {
        match after.files.get(path) {
            Some(new) if new == old => {}
            Some(new) => writes.push(FileWrite {
                path: path.clone(),
                before: Some(old.clone()),
                after: Some(new.clone()),
            }),
            None => writes.push(FileWrite { path: path.clone(), before: Some(old.clone()), after: None }),
        }
    }
    for (path, new) in after.files.iter().filter(|(p, _)| !unknown(p)) {
        if !before.files.contains_key(path) {
            writes.push(FileWrite { path: path.clone(), before: None, after: Some(new.clone()) });
        }
    }
    writes
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStrExt as _;

    use super::*;

    #[test]
    fn names_the_log_cannot_hold_are_left_out_and_long_paths_are_tracked() {
        let dir = tempfile::TempDir::new().unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"latin1-\xe9.txt");
        std::fs::write(dir.path().join(odd), "x").unwrap();
        std::fs::write(dir.path().join("back\\slash.txt"), "x").unwrap();
        // 12 levels of 200-byte names: 2.4 kB relative, under both the OS's and the log's limits.
        let deep: Vec<String> = (0..12).map(|i| format!("{i:0>200}")).collect();
        let deep_dir = deep.iter().fold(dir.path().to_path_buf(), |p, d| p.join(d));
        std::fs::create_dir_all(&deep_dir).unwrap();
        std::fs::write(deep_dir.join("leaf.txt"), "deep").unwrap();
        let tree = read(dir.path());
        let long = format!("{}/leaf.txt", deep.join("/"));
        assert_eq!(
            tree.files.keys().cloned().collect::<Vec<_>>(),
            [long],
            "a long path within the limits is tracked; a non-UTF-8 name and a backslash are not"
        );
        assert!(
            tree.skipped.is_empty(),
            "names left out are not 'content unknown' either: {:?}",
            tree.skipped
        );
        assert!(recordable(Path::new(&"a/".repeat(2100))).is_err(), "over the log's path limit");
    }

    #[test]
    fn files_too_large_to_read_are_neither_created_nor_deleted() {
        let dir = tempfile::TempDir::new().unwrap();
        let big = vec![b'x'; FILE_LIMIT as usize + 1];
        std::fs::write(dir.path().join("big.bin"), &big).unwrap();
        std::fs::write(dir.path().join("small.txt"), "a").unwrap();
        let before = read(dir.path());
        assert!(before.skipped.contains("big.bin"));
        // The big file shrinks under the limit: its old content is unknown, so no change is
        // claimed for it; the small file's change is.
        std::fs::write(dir.path().join("big.bin"), "now small").unwrap();
        std::fs::write(dir.path().join("small.txt"), "b").unwrap();
        let writes = diff(&before, &read(dir.path()));
        let paths: Vec<&str> = writes.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, ["small.txt"]);
    }
}
