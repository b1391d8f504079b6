//! The `coder` binary, driven as a person or a script would: real processes, real stores.

mod agent;
mod commands;
mod crash;
mod crash_matrix;
mod flood;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `coder --data-dir DIR ARGS…` to completion.
pub fn coder(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coder"))
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("the coder binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
