//! What a tool call acts on, as the rules see it: the simple commands of `run_command`'s
//! command line, the path of a file tool.

use std::path::Path;

use super::pattern::path_names;
use super::shell::{self, Part, ShellError};
use crate::tools::{paths, ToolKind, ToolSet};

/// A tool call to decide on.
#[derive(Debug)]
pub struct Call {
    pub tool: String,
    /// `None` for a tool Coder does not have (the model made it up).
    pub kind: Option<ToolKind>,
    pub subject: Subject,
    /// The tool walks the folder at its path (`list_files`, `search`): a rule about anything
    /// inside that folder applies to the call.
    pub walks: bool,
}

/// Tools whose path is a folder they read all through.
const WALKERS: [&str; 2] = ["list_files", "search"];

/// What the call acts on.
#[derive(Debug)]
pub enum Subject {
    /// A command line: its simple commands, or why it cannot be split; the text as given.
    Command { parts: Result<Vec<Part>, ShellError>, text: String },
    /// The path as given and, when it leads elsewhere through a symbolic link, where it lands;
    /// `None` when the path cannot be read with confidence (the tools refuse such a path).
    Paths(Option<Vec<Vec<Vec<char>>>>),
    /// Nothing the rules can look at: an unknown tool, or an input without its field.
    Nothing,
}

impl Call {
    /// The call of the tool named `name` in `tools` with `input`; `root` (canonical) lets a path
    /// be followed through symbolic links inside the project, so a link cannot carry a write
    /// past a rule. A tool acts on a path when its input has a `path` field.
    pub fn new(tools: &ToolSet, name: &str, input: &serde_json::Value, root: Option<&Path>) -> Self {
        let tool = tools.get(name);
        let kind = tool.map(|t| t.kind());
        let takes_path = tool.is_some_and(|t| t.spec().input_schema.pointer("/properties/path").is_some());
        let field = |name: &str| input.get(name).and_then(serde_json::Value::as_str);
        let subject = match kind {
            None => Subject::Nothing,
            Some(ToolKind::Command) => match field("command") {
                Some(text) => Subject::Command { parts: shell::split(text), text: text.to_owned() },
                None => Subject::Nothing,
            },
            Some(_) if !takes_path => Subject::Nothing,
            Some(kind) => match field("path") {
                Some(path) => Subject::Paths(subjects(path, kind, root)),
                // Listing or searching without a path covers the whole project.
                None if kind == ToolKind::Read
                    && input.get("path").is_none_or(serde_json::Value::is_null) =>
                {
                    Subject::Paths(Some(vec![Vec::new()]))
                }
                None => Subject::Nothing,
            },
        };
        let walks = kind == Some(ToolKind::Read) && WALKERS.contains(&name);
        Self { tool: name.to_owned(), kind, subject, walks }
    }
}

/// The path's names, and those of the place it resolves to when that differs.
fn subjects(path: &str, kind: ToolKind, root: Option<&Path>) -> Option<Vec<Vec<Vec<char>>>> {
    let given = path_names(path)?;
    let mut all = vec![given];
    if let Some(root) = root {
        let resolved = match kind {
            ToolKind::Write => paths::resolve_for_write(root, path),
            _ => paths::resolve_existing(root, path),
        };
        match resolved {
            Ok(real) => {
                let names = path_names(&paths::relative(root, &real))?;
                if !all.contains(&names) {
                    all.push(names);
                }
            }
            // Nothing there yet to lead anywhere else.
            Err(crate::tools::ToolError::NotFound(_)) => {}
            // Outside the project, or no path a file can have: the tool refuses it.
            Err(_) => return None,
        }
    }
    Some(all)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names(paths: &[&str]) -> Option<Vec<Vec<Vec<char>>>> {
        Some(paths.iter().map(|p| path_names(p).unwrap()).collect())
    }

    #[test]
    fn a_command_is_split_into_its_parts() {
        let call = Call::new(&ToolSet::standard(), "run_command", &json!({"command": "ls && pwd"}), None);
        let Subject::Command { parts, text } = call.subject else { panic!("a command") };
        assert_eq!(parts.unwrap().len(), 2);
        assert_eq!(text, "ls && pwd");
    }

    #[test]
    fn a_path_without_a_root_is_taken_as_given() {
        let call = Call::new(&ToolSet::standard(), "write_file", &json!({"path": "./src/a.rs"}), None);
        assert!(matches!(call.subject, Subject::Paths(p) if p == names(&["src/a.rs"])));
        let call = Call::new(&ToolSet::standard(), "read_file", &json!({"path": "../x"}), None);
        assert!(matches!(call.subject, Subject::Paths(None)), "an escape cannot be read with confidence");
        let call = Call::new(&ToolSet::standard(), "list_files", &json!({}), None);
        assert!(matches!(call.subject, Subject::Paths(p) if p == names(&[""])), "no path: the whole project");
        let call = Call::new(&ToolSet::standard(), "write_file", &json!({"content": "x"}), None);
        assert!(matches!(call.subject, Subject::Nothing));
        let call = Call::new(&ToolSet::standard(), "made_up", &json!({"path": "a"}), None);
        assert!(matches!(call.subject, Subject::Nothing));
        let call = Call::new(&ToolSet::standard(), "update_plan", &json!({"items": []}), None);
        assert!(matches!(call.subject, Subject::Nothing), "a tool without a path acts on no file");
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_is_followed_to_where_it_leads() {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir(root.join("src")).unwrap();
        std::fs::write(root.join(".env"), "SECRET=1").unwrap();
        std::os::unix::fs::symlink(root.join(".env"), root.join("src/config")).unwrap();
        let call = Call::new(&ToolSet::standard(), "write_file", &json!({"path": "src/config"}), Some(&root));
        assert!(
            matches!(&call.subject, Subject::Paths(p) if *p == names(&["src/config", ".env"])),
            "both the link and its target are what the write touches: {:?}",
            call.subject
        );
        let call = Call::new(&ToolSet::standard(), "write_file", &json!({"path": "src/new.rs"}), Some(&root));
        assert!(matches!(&call.subject, Subject::Paths(p) if *p == names(&["src/new.rs"])), "a new file");
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("out")).unwrap();
        let call = Call::new(&ToolSet::standard(), "write_file", &json!({"path": "out/x"}), Some(&root));
        assert!(
            matches!(call.subject, Subject::Paths(None)),
            "a link out of the project is refused by the tool"
        );
    }
}
