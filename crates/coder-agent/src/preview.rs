//! What a tool call waiting for approval will do, in the words and diffs a person decides on:
//! the command it will run, or the unified diff it will write. Reading the project is the only
//! effect; nothing is written.

use std::path::Path;

use serde::Serialize;

use crate::changes::unified_diff;
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
pub fn preview(root: Option<&Path>, tool_name: &str, input: &serde_json::Value) -> StepPreview {
    let text = |key: &str| input.get(key).and_then(serde_json::Value::as_str);
    let raw = || StepPreview::Input {
        tool_name: tool_name.to_owned(),
        input: serde_json::to_string_pretty(input).unwrap_or_default(),
    };
    match (tool_name, root) {
        ("run_command", _) => match text("command") {
            Some(command) => StepPreview::Command { command: command.to_owned() },
            None => raw(),
        },
        ("write_file", Some(root)) => match (text("path"), text("content")) {
            (Some(path), Some(content)) => {
                let before = current(root, path);
                StepPreview::Write {
                    path: path.to_owned(),
                    diff: unified_diff(path, before.as_deref(), Some(content)),
                }
            }
            _ => raw(),
        },
        ("edit_file", Some(root)) => match (text("path"), text("old_text"), text("new_text")) {
            (Some(path), Some(old), Some(new)) => match current(root, path) {
                Some(before) if before.matches(old).count() == 1 => {
                    let after = before.replacen(old, new, 1);
                    StepPreview::Write {
                        path: path.to_owned(),
                        diff: unified_diff(path, Some(&before), Some(&after)),
                    }
                }
                // The edit will fail when it runs; show what it asked for.
                _ => raw(),
            },
            _ => raw(),
        },
        _ => raw(),
    }
}

/// The file's text now, or `None` when it does not exist, is outside the project or is not text.
fn current(root: &Path, path: &str) -> Option<String> {
    let real = paths::resolve_existing(root, path).ok()?;
    String::from_utf8(std::fs::read(real).ok()?).ok()
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
