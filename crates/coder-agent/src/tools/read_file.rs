//! `read_file`: a text file of the project, whole or a range of its lines.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use coder_domain::ToolOutput;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::paths::{self, io_error};
use super::support::{blocking, is_text, parse, read_capped};
use super::{Tool, ToolContext, ToolError, ToolKind, ToolResult};
use crate::provider::ToolSpec;

/// Most bytes returned at once: a whole file larger than this is refused, and so is a line
/// range whose lines add up to more.
pub const READ_LIMIT: u64 = 256 * 1024;

#[derive(Debug, Clone, Copy, Default)]
pub struct ReadFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    start_line: Option<u64>,
    end_line: Option<u64>,
}

impl Tool for ReadFile {
    fn name(&self) -> &'static str {
        "read_file"
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Read
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().into(),
            description: format!(
                "Read a text file of the project. Give `start_line` and/or `end_line` (1-based, \
                 inclusive) to read only those lines, which is also how to read a file larger than \
                 {} KiB. Returns the text exactly as stored, without line numbers.",
                READ_LIMIT / 1024
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path relative to the project root, e.g. `src/main.rs`."},
                    "start_line": {"type": "integer", "minimum": 1, "description": "First line to read (1-based). Default: 1."},
                    "end_line": {"type": "integer", "minimum": 1, "description": "Last line to read (inclusive). Default: the last line."}
                },
                "required": ["path"],
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
            let range = line_range(&input)?;
            let root = ctx.root.clone();
            let text = blocking(move || read(&root, &input.path, range)).await?;
            Ok(ToolResult { output: ToolOutput::Text(text), writes: Vec::new() })
        })
    }
}

/// The 1-based inclusive range asked for, `None` for the whole file.
fn line_range(input: &Input) -> Result<Option<(u64, Option<u64>)>, ToolError> {
    if input.start_line.is_none() && input.end_line.is_none() {
        return Ok(None);
    }
    let start = input.start_line.unwrap_or(1);
    if start == 0 || input.end_line == Some(0) {
        return Err(ToolError::InvalidInput("line numbers start at 1".into()));
    }
    if let Some(end) = input.end_line.filter(|&end| end < start) {
        return Err(ToolError::InvalidInput(format!("end_line {end} is before start_line {start}")));
    }
    Ok(Some((start, input.end_line)))
}

fn read(root: &Path, path: &str, range: Option<(u64, Option<u64>)>) -> Result<String, ToolError> {
    let real = paths::resolve_existing(root, path)?;
    let meta = real.metadata().map_err(|err| io_error(path, &err))?;
    if meta.is_dir() {
        return Err(ToolError::InvalidInput(format!(
            "{path} is a directory; use list_files to see what it holds"
        )));
    }
    if !meta.is_file() {
        return Err(ToolError::InvalidInput(format!("{path} is not a regular file")));
    }
    let bytes = match range {
        None if meta.len() > READ_LIMIT => {
            return Err(ToolError::TooLarge { path: path.to_owned(), size: meta.len(), limit: READ_LIMIT });
        }
        None => read_capped(&real, path, READ_LIMIT)?,
        Some((start, end)) => {
            let file = File::open(&real).map_err(|err| io_error(path, &err))?;
            let (bytes, lines) =
                read_lines(file, start, end).map_err(|err| io_error(path, &err))?.ok_or_else(|| {
                    ToolError::TooLarge { path: path.to_owned(), size: meta.len(), limit: READ_LIMIT }
                })?;
            if start > lines && !(start == 1 && lines == 0) {
                return Err(ToolError::InvalidInput(format!(
                    "start_line {start} is past the end of {path}, which has {lines} lines"
                )));
            }
            bytes
        }
    };
    if !is_text(&bytes) {
        return Ok(format!("{path} is a binary file ({} bytes); its content is not shown.", meta.len()));
    }
    Ok(String::from_utf8(bytes).unwrap_or_default())
}

/// The bytes of lines `start..=end` (with their line ends) and how many lines were seen, reading
/// no further than `end`; `None` when the selected lines exceed `READ_LIMIT`. Works in chunks,
/// so a huge line before the range costs no memory.
fn read_lines(file: File, start: u64, end: Option<u64>) -> std::io::Result<Option<(Vec<u8>, u64)>> {
    let mut reader = BufReader::new(file);
    let mut selected = Vec::new();
    let mut line = 1u64;
    // Whether the current line has at least one byte (to count a last line without `\n`).
    let mut in_line = false;
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        let len = chunk.len();
        let mut done = false;
        let mut rest = chunk;
        while !rest.is_empty() {
            let (piece, newline) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..=i], true),
                None => (rest, false),
            };
            if line >= start {
                selected.extend_from_slice(piece);
                if selected.len() as u64 > READ_LIMIT {
                    return Ok(None);
                }
            }
            rest = &rest[piece.len()..];
            if newline {
                line += 1;
                in_line = false;
                if end.is_some_and(|end| line > end) {
                    done = true;
                    break;
                }
            } else {
                in_line = true;
            }
        }
        reader.consume(len);
        if done {
            return Ok(Some((selected, line - 1)));
        }
    }
    let lines = if in_line { line } else { line - 1 };
    Ok(Some((selected, lines)))
}
