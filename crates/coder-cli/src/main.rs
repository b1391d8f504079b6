//! `coder`: headless use of Coder's store — inspect threads, export and import the log, verify
//! it, stress or benchmark the append path — and API keys in the system keyring. Every failure
//! is a message and a non-zero exit, never a panic.

// Printing to standard output is what this binary is for.
#![allow(clippy::print_stdout)]

mod agent_run;
mod args;
mod bench;
mod changes;
mod crash_point;
mod inspect;
mod keys;
mod open;
mod progress;
mod providers;
mod rules;
mod stress;
mod transfer;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// A failure to report: the message, and the exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Self { message: message.into(), code: 1 }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Self::new(e.to_string())
    }
}

fn main() -> ExitCode {
    // `coder bench` measures cold start in a child process of this same binary.
    if let Some(code) = coder_bench::cold_start_child_main() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = Cli::parse();
    // Keys live in the keyring, not the data directory, so they need none.
    if let Command::Key { action } = &cli.command {
        return finish(keys::run(action, cli.json));
    }
    let data_dir = match cli.data_dir.clone().or_else(coder_engine::default_data_dir) {
        Some(dir) => dir,
        None => {
            eprintln!("error: no data directory; pass --data-dir or set {}", coder_engine::DATA_DIR_ENV);
            return ExitCode::from(2);
        }
    };
    let result = match &cli.command {
        Command::Stats => inspect::stats(&data_dir, cli.json),
        Command::Threads { archived, search } => {
            inspect::threads(&data_dir, cli.json, *archived, search.as_deref())
        }
        Command::Show { thread, at } => inspect::show(&data_dir, cli.json, thread, *at),
        Command::Export { out } => transfer::export(&data_dir, out.as_deref()),
        Command::Import { file } => transfer::import(&data_dir, file),
        Command::Verify => transfer::verify(&data_dir, cli.json),
        Command::Stress { events, producers } => stress::run(&data_dir, *events, *producers),
        Command::Run { project, thread, agent, message } => agent_run::run(
            &data_dir,
            agent,
            agent_run::RunOptions {
                project: project.clone(),
                thread: thread.clone(),
                message: message.clone(),
            },
        ),
        Command::Resume { run, agent } => agent_run::resume(&data_dir, agent, run.as_deref()),
        Command::Bench { scale, work_dir } => bench::run(&data_dir, cli.json, *scale, work_dir.as_deref()),
        Command::Diff { run } => changes::diff(&data_dir, run),
        Command::Revert { run, force } => changes::revert(&data_dir, run, *force),
        Command::Key { action } => keys::run(action, cli.json),
        Command::Rule { action } => rules::run(&data_dir, action, cli.json),
    };
    finish(result)
}

/// The exit code for a command's result, printing the failure's message.
fn finish(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
