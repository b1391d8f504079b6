//! `search`: a regular expression over the project's text files, gitignore-aware.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::path::Path;

use coder_domain::ToolOutput;
use futures_util::future::BoxFuture;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::paths::{self, io_error};
use super::support::{blocking, is_text, parse};
use super::walk::walk;
use super::{Tool, ToolContext, ToolError, ToolKind, ToolResult};
use crate::provider::ToolSpec;

pub const DEFAULT_MAX_RESULTS: usize = 200;
pub const MAX_RESULTS: usize = 2000;
/// Files larger than this are not searched.
pub const FILE_LIMIT: u64 = 4 * 1024 * 1024;
/// A matching line longer than this is cut (at a character boundary) in the result.
const LINE_LIMIT: usize = 400;

#[derive(Debug, Clone, Copy, Default)]
pub struct Search;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    pattern: String,
    path: Option<String>,
    max_results: Option<usize>,
}

impl Tool for Search {
    fn name(&self) -> &'static str {
        "search"
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().into(),
            description: "Search the project's text files for a regular expression (Rust regex syntax; \
                          prefix with (?i) to ignore case), line by line. Files ignored by .gitignore, \
                          hidden files and binary files are skipped. Each match is one line: \
                          `path:line: text`."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "Regular expression to look for in each line."},
                    "path": {"type": "string", "description": "File or directory to search, relative to the project root. Default: the whole project."},
                    "max_results": {
                        "type": "integer", "minimum": 1, "maximum": MAX_RESULTS,
                        "description": format!("Most matching lines to return. Default: {DEFAULT_MAX_RESULTS}.")
                    }
                },
                "required": ["pattern"],
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
            let max = input.max_results.unwrap_or(DEFAULT_MAX_RESULTS);
            if !(1..=MAX_RESULTS).contains(&max) {
                return Err(ToolError::InvalidInput(format!(
                    "max_results must be between 1 and {MAX_RESULTS}"
                )));
            }
            if input.pattern.is_empty() {
                return Err(ToolError::InvalidInput("the pattern is empty".into()));
            }
            let regex = RegexBuilder::new(&input.pattern).build().map_err(|err| {
                ToolError::InvalidInput(format!("the pattern is not a valid regular expression: {err}"))
            })?;
            let path = input.path.filter(|p| !p.is_empty()).unwrap_or_else(|| ".".into());
            let root = ctx.root.clone();
            let cancel = ctx.cancel.clone();
            let text = blocking(move || search(&root, &path, &regex, max, &cancel)).await?;
            Ok(ToolResult { output: ToolOutput::Text(text), writes: Vec::new() })
        })
    }
}

fn search(
    root: &Path,
    path: &str,
    regex: &Regex,
    max: usize,
    cancel: &CancellationToken,
) -> Result<String, ToolError> {
    let start = paths::resolve_existing(root, path)?;
    let meta = start.metadata().map_err(|err| io_error(path, &err))?;
    let mut found = Found { text: String::new(), count: 0, max, truncated: false };
    if meta.is_file() {
        // A file asked for by name is searched even if ignore rules would skip it.
        let _ = search_file(root, &start, regex, &mut found);
    } else if meta.is_dir() {
        let mut cancelled = false;
        walk(root, &start, |entry| {
            if cancel.is_cancelled() {
                cancelled = true;
                return ControlFlow::Break(());
            }
            // Symlinks are skipped: they may lead outside the project, and a target inside is
            // searched under its own name.
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return ControlFlow::Continue(());
            }
            search_file(root, entry.path(), regex, &mut found)
        });
        if cancelled {
            return Err(ToolError::Cancelled);
        }
    } else {
        return Err(ToolError::InvalidInput(format!("{path} is neither a file nor a directory")));
    }
    if found.count == 0 {
        found.text.push_str("no matches\n");
    }
    if found.truncated {
        let _ = writeln!(
            found.text,
            "(stopped after {max} matches; narrow the pattern or the path, or raise max_results)"
        );
    }
    Ok(found.text)
}

struct Found {
    text: String,
    count: usize,
    max: usize,
    truncated: bool,
}

/// Appends the matching lines of one file; `Break` once `max` is passed. Files that cannot be
/// read, are too large or are not text are skipped.
fn search_file(root: &Path, file: &Path, regex: &Regex, found: &mut Found) -> ControlFlow<()> {
    if file.metadata().map_or(true, |meta| meta.len() > FILE_LIMIT) {
        return ControlFlow::Continue(());
    }
    let Ok(bytes) = std::fs::read(file) else { return ControlFlow::Continue(()) };
    if !is_text(&bytes) {
        return ControlFlow::Continue(());
    }
    let text = String::from_utf8_lossy(&bytes);
    let name = paths::relative(root, file);
    for (index, line) in text.lines().enumerate() {
        if !regex.is_match(line) {
            continue;
        }
        if found.count == found.max {
            found.truncated = true;
            return ControlFlow::Break(());
        }
        found.count += 1;
        let _ = writeln!(found.text, "{name}:{}: {}", index + 1, cut(line));
    }
    ControlFlow::Continue(())
}

fn cut(line: &str) -> String {
    if line.len() <= LINE_LIMIT {
        return line.to_owned();
    }
    let mut end = LINE_LIMIT;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &line[..end])
}
