//! What a tool call waiting for approval will do, in the words and diffs a person decides on:
//! the command it will run, or the unified diff it will write. Reading the project is the only
//! effect; nothing is written. A file that cannot be shown as a diff (binary, too large, not a
//! regular file) is described in one line instead, never shown as a new file.

use std::path::Path;

use serde::Serialize;

use crate::changes::{read_regular, render_diff, OnDisk, Side, DIFF_BYTES};
use crate::tools::paths;

/// A step's effect, shown beside its Approve and Reject buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepPreview {
    /// `run_command`: the command line, run in the project root.
    Command { command: String },
    /// `write_file` or `edit_file`: the file and the diff the write would make now.
    Write { path: String, diff: String },
    /// Another tool, or an input the preview cannot read: the raw input, pretty-printed.
    Input { tool_name: String, input: String },
}

/// What `tool_name` with `input` would do in the project at `root` (`None`: no project).
///
/// Blocking: it reads the file a write would change (never more than `DIFF_BYTES`, never a FIFO
/// or a device) and diffs it within `DIFF_DEADLINE`. Call it off the UI thread.
pub fn preview(root: Option<&Path>, tool_name: &str, input: &serde_json::Value) -> StepPreview {
    let text = |key: &str| input.get(key).and_then(serde_json::Value::as_str);
    let raw = || StepPreview::Input {
        tool_name: tool_name.to_owned(),
        input: serde_json::to_string_pretty(input).unwrap_or_default(),
    };
    let write = |path: &str, diff: String| StepPreview::Write { path: path.to_owned(), diff };
    match (tool_name, root) {
        ("run_command", _) => match text("command") {
            Some(command) => StepPreview::Command { command: command.to_owned() },
            None => raw(),
        },
        ("write_file", Some(root)) => match (text("path"), text("content")) {
            (Some(path), Some(content)) => {
                let after = Side::Bytes(content.as_bytes());
                match current(root, path) {
                    None => raw(),
                    Some(OnDisk::Absent) => write(path, render_diff(path, Side::Absent, after)),
                    Some(OnDisk::Bytes(before)) => {
                        write(path, render_diff(path, Side::Bytes(&before), after))
                    }
                    Some(OnDisk::TooLarge(size)) => {
                        write(path, render_diff(path, Side::TooLarge(size), after))
                    }
                    Some(OnDisk::NotAFile(what)) => write(path, refused(path, what)),
                }
            }
            _ => raw(),
        },
        ("edit_file", Some(root)) => match (text("path"), text("old_text"), text("new_text")) {
            (Some(path), Some(old), Some(new)) => match current(root, path) {
                Some(OnDisk::Bytes(bytes)) => match String::from_utf8(bytes) {
                    Ok(before) if before.matches(old).count() == 1 => {
                        let after = before.replacen(old, new, 1);
                        write(
                            path,
                            render_diff(path, Side::Bytes(before.as_bytes()), Side::Bytes(after.as_bytes())),
                        )
                    }
                    // The edit will fail when it runs; show what it asked for.
                    _ => raw(),
                },
                Some(OnDisk::TooLarge(size)) => {
                    let after = (size + new.len() as u64).saturating_sub(old.len() as u64);
                    write(path, render_diff(path, Side::TooLarge(size), Side::TooLarge(after)))
                }
                Some(OnDisk::NotAFile(what)) => write(path, refused(path, what)),
                Some(OnDisk::Absent) | None => raw(),
            },
            _ => raw(),
        },
        _ => raw(),
    }
}

/// The line shown instead of a diff for a path that is not a regular file.
fn refused(path: &str, what: &str) -> String {
    format!("{path} is {what}, not a regular file; the write will be refused\n")
}

/// The file a write to `path` would change, read with the diff's limits; `None` when the path
/// is outside the project or otherwise refused (then nothing is read).
fn current(root: &Path, path: &str) -> Option<OnDisk> {
    let real = paths::resolve_for_write(root, path).ok()?;
    read_regular(&real, DIFF_BYTES as u64).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_command_shows_its_command_line() {
        let shown = preview(None, "run_command", &json!({"command": "cargo test"}));
        assert_eq!(shown, StepPreview::Command { command: "cargo test".into() });
    }

    #[test]
    fn a_write_shows_the_diff_against_the_file_now_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "one\ntwo\n").unwrap();
        let shown =
            preview(Some(dir.path()), "write_file", &json!({"path": "a.txt", "content": "one\nthree\n"}));
        let StepPreview::Write { path, diff } = shown else { panic!("a write previews as a diff") };
        assert_eq!(path, "a.txt");
        assert!(diff.contains("-two\n") && diff.contains("+three\n"), "the diff shows the change: {diff}");
        assert_eq!(std::fs::read_to_string(dir.path().join("a.txt")).unwrap(), "one\ntwo\n");
    }

    #[test]
    fn a_new_file_diffs_from_dev_null() {
        let dir = tempfile::tempdir().unwrap();
        let shown =
            preview(Some(dir.path()), "write_file", &json!({"path": "new.rs", "content": "fn main() {}\n"}));
        let StepPreview::Write { diff, .. } = shown else { panic!("a write previews as a diff") };
        assert!(diff.starts_with("--- /dev/null"), "a new file has no old side: {diff}");
    }

    #[test]
    fn an_edit_shows_the_replacement() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.txt"), "alpha\nbeta\n").unwrap();
        let input = json!({"path": "b.txt", "old_text": "beta", "new_text": "gamma"});
        let StepPreview::Write { diff, .. } = preview(Some(dir.path()), "edit_file", &input) else {
            panic!("an edit that applies previews as a diff")
        };
        assert!(diff.contains("-beta") && diff.contains("+gamma"), "{diff}");
    }

    #[test]
    fn a_path_outside_the_project_is_never_read() {
        let dir = tempfile::tempdir().unwrap();
        let input = json!({"path": "../../etc/passwd", "old_text": "root", "new_text": "x"});
        assert!(matches!(preview(Some(dir.path()), "edit_file", &input), StepPreview::Input { .. }));
    }
}
