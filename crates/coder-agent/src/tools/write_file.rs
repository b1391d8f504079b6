//! `write_file`: creates a file or replaces its whole content.
//!
//! Both the new content and the content replaced are recorded, so both are capped at
//! `WRITE_LIMIT`; a path or content over a limit is refused before anything is written.

use std::io::ErrorKind;
use std::path::Path;

use coder_domain::ToolOutput;
use futures_util::future::BoxFuture;
use serde::Deserialize;
use serde_json::json;

use super::paths::{self, io_error};
use super::support::{blocking, parse, read_capped};
use super::{FileWrite, Tool, ToolContext, ToolError, ToolKind, ToolResult};
use crate::provider::ToolSpec;

/// Most bytes a written file may hold, before and after the write.
pub const WRITE_LIMIT: u64 = 8 * 1024 * 1024;

#[derive(Debug, Clone, Copy, Default)]
pub struct WriteFile;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    path: String,
    content: String,
}

impl Tool for WriteFile {
    fn name(&self) -> &'static str {
        "write_file"
    }

    fn kind(&self) -> ToolKind {
        ToolKind::Write
    }

    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: self.name().into(),
            description: format!(
                "Write a file of the project with the given content, replacing it whole if it \
                 exists and creating missing parent directories. To change part of an existing \
                 file, prefer edit_file. Files over {} MiB cannot be written or replaced.",
                WRITE_LIMIT / (1024 * 1024)
            ),
            input_schema: json!({
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "File path relative to the project root, e.g. `src/lib.rs`."},
                    "content": {"type": "string", "description": "The complete new content of the file."}
                },
                "required": ["path", "content"],
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
            let size = input.content.len() as u64;
            if size > WRITE_LIMIT {
                return Err(ToolError::TooLarge { path: input.path, size, limit: WRITE_LIMIT });
            }
            let root = ctx.root.clone();
            blocking(move || write(&root, &input.path, input.content.into_bytes())).await
        })
    }
}

fn write(root: &Path, path: &str, content: Vec<u8>) -> Result<ToolResult, ToolError> {
    let real = paths::resolve_for_write(root, path)?;
    let before = match real.metadata() {
        Ok(meta) if meta.is_dir() => {
            return Err(ToolError::InvalidInput(format!("{path} is a directory")));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(ToolError::InvalidInput(format!("{path} is not a regular file")));
        }
        Ok(meta) if meta.len() > WRITE_LIMIT => {
            return Err(ToolError::TooLarge { path: path.to_owned(), size: meta.len(), limit: WRITE_LIMIT });
        }
        Ok(_) => Some(read_capped(&real, path, WRITE_LIMIT)?),
        Err(err) if err.kind() == ErrorKind::NotFound => None,
        Err(err) => return Err(io_error(path, &err)),
    };
    if let Some(parent) = real.parent() {
        std::fs::create_dir_all(parent).map_err(|err| ToolError::Io(format!("{path}: {err}")))?;
    }
    std::fs::write(&real, &content).map_err(|err| ToolError::Io(format!("{path}: {err}")))?;
    let name = paths::relative(root, &real);
    let summary = match &before {
        None => format!("created {name} ({} bytes)", content.len()),
        Some(old) => format!("wrote {name} ({} bytes, was {} bytes)", content.len(), old.len()),
    };
    Ok(ToolResult {
        output: ToolOutput::Text(summary),
        writes: vec![FileWrite { path: name, before, after: Some(content) }],
    })
}
