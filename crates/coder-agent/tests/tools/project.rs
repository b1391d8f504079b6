//! A temp project folder with a sibling folder outside it, and a context to run tools in.

use std::path::{Path, PathBuf};

use coder_agent::tools::{progress_channel, Tool, ToolContext, ToolError, ToolProgress, ToolResult};
use coder_domain::ToolOutput;
use tempfile::TempDir;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// `base/project` is the project root; `base/outside` holds `secret.txt`, which no tool may
/// read or change.
pub struct Project {
    _base: TempDir,
    pub ctx: ToolContext,
    pub progress: mpsc::Receiver<ToolProgress>,
    pub outside: PathBuf,
}

pub const SECRET: &str = "TOPSECRET outside the project\n";

impl Project {
    pub fn new() -> Self {
        let base = tempfile::tempdir().expect("temp dir");
        let root = base.path().join("project");
        let outside = base.path().join("outside");
        std::fs::create_dir(&root).unwrap();
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), SECRET).unwrap();
        let (tx, progress) = progress_channel();
        let ctx = ToolContext {
            root: root.canonicalize().unwrap(),
            cancel: CancellationToken::new(),
            progress: tx,
            env_allow: Vec::new(),
        };
        Self { _base: base, ctx, progress, outside: outside.canonicalize().unwrap() }
    }

    pub fn root(&self) -> &Path {
        &self.ctx.root
    }

    /// Writes a file of the project, creating its directories.
    pub fn file(&self, path: &str, content: impl AsRef<[u8]>) {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    pub fn read(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.root().join(path)).unwrap()
    }

    pub fn symlink(&self, link: &str, target: &Path) {
        std::os::unix::fs::symlink(target, self.root().join(link)).unwrap();
    }

    pub async fn run(&self, tool: &dyn Tool, input: serde_json::Value) -> Result<ToolResult, ToolError> {
        tool.run(input, &self.ctx).await
    }

    /// Runs a tool that must succeed with text output, and returns the text.
    pub async fn text(&self, tool: &dyn Tool, input: serde_json::Value) -> String {
        match self.run(tool, input.clone()).await {
            Ok(ToolResult { output: ToolOutput::Text(text), writes }) => {
                assert!(writes.is_empty(), "{} with {input} wrote {writes:?}", tool.name());
                text
            }
            other => panic!("{} with {input} gave {other:?}, expected text", tool.name()),
        }
    }

    /// The outside folder is exactly as `new` left it: only `secret.txt`, unchanged.
    pub fn assert_outside_untouched(&self) {
        let names: Vec<_> =
            std::fs::read_dir(&self.outside).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["secret.txt"], "nothing may be created outside the project");
        let secret = std::fs::read_to_string(self.outside.join("secret.txt")).unwrap();
        assert_eq!(secret, SECRET, "the outside file must not change");
        let base = self.outside.parent().unwrap();
        let mut siblings: Vec<_> = std::fs::read_dir(base).unwrap().map(|e| e.unwrap().file_name()).collect();
        siblings.sort();
        assert_eq!(siblings, ["outside", "project"], "nothing may be created beside the project");
    }

    /// Progress messages received so far.
    pub fn progress_messages(&mut self) -> Vec<String> {
        let mut messages = Vec::new();
        while let Ok(progress) = self.progress.try_recv() {
            messages.push(progress.message);
        }
        messages
    }
}
