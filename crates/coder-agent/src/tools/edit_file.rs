//! `edit_file`: replaces one exact snippet of a text file.
//!
//! The snippet must occur exactly once, so the model cannot change a place it did not mean:
//! missing is `SnippetNotFound`, several (overlapping occurrences counted) is
//! `SnippetAmbiguous`. On any error the file is left untouched.
//!
//! The file before and after the edit is recorded, so both are capped at `EDIT_LIMIT`, and so
//! are `old_text` and `new_text`; what is over is refused (`TooLarge` for the file,
//! `InvalidInput` for a text) before anything is written.

use std::path::Path;

use coder_domain::ToolOutput;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::paths::{self, io_error};
use super::support::{blocking, parse, read_capped};
use super::{FileWrite, Tool, ToolContext, ToolError, ToolKind, ToolResult};
use crate::provider::ToolSpec;

/// Most bytes of a file edited, before and after the edit (both are recorded), and of each text
/// in the input.
pub const EDIT_LIMIT: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, Default)]
pub struct EditFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    old_text: String,
    new_text: String,
}

impl Tool for EditFile {
    fn name(&self) -> &'static str {
        "edit_file"
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Write
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().into(),
            description: "Edit a text file of the project by replacing one exact piece of text with \
                          another. `old_text` must match the file exactly (whitespace and indentation \
                          included) and occur exactly once; include surrounding lines to make it unique. \
                          An empty `new_text` deletes the piece."
                .into(),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path relative to the project root."},
                    "old_text": {"type": "string", "description": "The exact text to replace; must occur exactly once in the file."},
                    "new_text": {"type": "string", "description": "The text to put in its place."}
                },
                "required": ["path", "old_text", "new_text"],
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
            if input.old_text.is_empty() {
                return Err(ToolError::InvalidInput(
                    "old_text is empty; to create or overwrite a whole file use write_file".into(),
                ));
            }
            for (field, text) in [("old_text", &input.old_text), ("new_text", &input.new_text)] {
                let size = text.len() as u64;
                if size > EDIT_LIMIT {
                    return Err(ToolError::InvalidInput(format!(
                        "{field} is {size} bytes, over the limit of {EDIT_LIMIT}"
                    )));
                }
            }
            if input.old_text == input.new_text {
                return Err(ToolError::InvalidInput(
                    "old_text and new_text are the same; nothing would change".into(),
                ));
            }
            let root = ctx.root.clone();
            blocking(move || edit(&root, &input)).await
        })
    }
}

fn edit(root: &Path, input: &Input) -> Result<ToolResult, ToolError> {
    let path = input.path.as_str();
    let real = paths::resolve_for_edit(root, path)?;
    let meta = real.metadata().map_err(|err| io_error(path, &err))?;
    if !meta.is_file() {
        return Err(ToolError::InvalidInput(format!("{path} is not a file")));
    }
    if meta.len() > EDIT_LIMIT {
        return Err(ToolError::TooLarge { path: path.to_owned(), size: meta.len(), limit: EDIT_LIMIT });
    }
    let before = read_capped(&real, path, EDIT_LIMIT)?;
    let text = std::str::from_utf8(&before).map_err(|_| {
        ToolError::InvalidInput(format!("{path} is not a UTF-8 text file; it cannot be edited"))
    })?;
    let at = match occurrences(text, &input.old_text) {
        (0, _) => return Err(ToolError::SnippetNotFound(path.to_owned())),
        (1, at) => at,
        (count, _) => return Err(ToolError::SnippetAmbiguous { path: path.to_owned(), count }),
    };
    let size = (text.len() - input.old_text.len() + input.new_text.len()) as u64;
    if size > EDIT_LIMIT {
        return Err(ToolError::TooLarge { path: path.to_owned(), size, limit: EDIT_LIMIT });
    }
    let after = [&text[..at], input.new_text.as_str(), &text[at + input.old_text.len()..]].concat();
    std::fs::write(&real, &after).map_err(|err| ToolError::Io(format!("{path}: {err}")))?;
    let name = paths::relative(root, &real);
    let summary = format!(
        "edited {name}: replaced {} line(s) with {} line(s)",
        input.old_text.lines().count().max(1),
        input.new_text.lines().count()
    );
    Ok(ToolResult {
        output: ToolOutput::Text(summary),
        writes: vec![FileWrite { path: name, before: Some(before), after: Some(after.into_bytes()) }],
    })
}

/// How often `needle` occurs in `haystack`, overlapping occurrences included, and where the
/// first one starts.
fn occurrences(haystack: &str, needle: &str) -> (usize, usize) {
    let mut count = 0;
    let mut first = 0;
    let mut from = 0;
    while let Some(found) = haystack[from..].find(needle) {
        let at = from + found;
        if count == 0 {
            first = at;
        }
        count += 1;
        // Step one character on, so overlapping occurrences count too.
        from = at + haystack[at..].chars().next().map_or(1, char::len_utf8);
    }
    (count, first)
}
