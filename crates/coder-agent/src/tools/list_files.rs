//! `list_files`: the files and directories of the project, gitignore-aware.

use std::ops::ControlFlow;
use std::path::Path;

use coder_domain::ToolOutput;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::paths::{self, io_error};
use super::support::{blocking, parse};
use super::walk::walk;
use super::{Tool, ToolContext, ToolError, ToolKind, ToolResult};
use crate::provider::ToolSpec;

pub const DEFAULT_MAX_ENTRIES: usize = 1000;
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy, Default)]
pub struct ListFiles;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: Option<String>,
    max_entries: Option<usize>,
}

impl Tool for ListFiles {
    fn name(&self) -> &'static str {
        "list_files"
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().into(),
            description: "List the files and directories of the project, or of one directory in it, \
                          recursively. Files ignored by .gitignore and hidden files are left out. One \
                          path per line, relative to the project root; directories end with `/`."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "Directory relative to the project root. Default: the whole project."},
                    "max_entries": {
                        "type": "integer", "minimum": 1, "maximum": MAX_ENTRIES,
                        "description": format!("Most entries to return. Default: {DEFAULT_MAX_ENTRIES}.")
                    }
                },
                "additionalProperties": false
            }),
        }
    }

    fn run<'a>(
        &'a self,
        input: serde_json::Value,
        ctx: &'a ToolContext,
    ) -> BoxFuture<'a, Result<ToolResult, ToolError>> {
        Box::pin(async move {
            let input: Input = parse(self.name(), input)?;
            let max = input.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES);
            if !(1..=MAX_ENTRIES).contains(&max) {
                return Err(ToolError::InvalidInput(format!(
                    "max_entries must be between 1 and {MAX_ENTRIES}"
                )));
            }
            let path = input.path.filter(|p| !p.is_empty()).unwrap_or_else(|| ".".into());
            let root = ctx.root.clone();
            let text = blocking(move || list(&root, &path, max)).await?;
            Ok(ToolResult { output: ToolOutput::Text(text), writes: Vec::new() })
        })
    }
}

fn list(root: &Path, path: &str, max: usize) -> Result<String, ToolError> {
    let dir = paths::resolve_existing(root, path)?;
    let meta = dir.metadata().map_err(|err| io_error(path, &err))?;
    if !meta.is_dir() {
        // A file asked for by name: list just it.
        return Ok(format!("{}\n", paths::relative(root, &dir)));
    }
    let mut lines = Vec::new();
    let mut truncated = false;
    walk(root, &dir, |entry| {
        if lines.len() == max {
            truncated = true;
            return ControlFlow::Break(());
        }
        let mut line = paths::relative(root, entry.path());
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            line.push('/');
        }
        lines.push(line);
        ControlFlow::Continue(())
    });
    let mut text = String::new();
    for line in &lines {
        text.push_str(line);
        text.push('\n');
    }
    if lines.is_empty() {
        text.push_str(&format!("({path} has no files that are not ignored or hidden)\n"));
    }
    if truncated {
        text.push_str(&format!(
            "(listing stopped after {max} entries; list a subdirectory or raise max_entries to see more)\n"
        ));
    }
    Ok(text)
}
