//! The `coder` binary, driven as a person or a script would: real processes, real stores.

mod agent;
mod commands;
mod crash;
mod crash_matrix;
mod flood;
mod keys;
mod rules;

use std::path::Path;
use std::process::{Command, Output};

/// The `coder` binary, kept away from any keyring of the person running the tests: no session
/// bus is reachable, so a provider without a key variable finds no key (the keyring tests start
/// a Secret Service of their own).
pub fn coder_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coder"));
    command.env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    command
}

/// Runs `coder --data-dir DIR ARGS…` to completion.
pub fn coder(dir: &Path, args: &[&str]) -> Output {
    coder_command().arg("--data-dir").arg(dir).args(args).output().expect("the coder binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
