//! The full benchmark run (scale 1.0), printed as JSON: what `coder bench --json` prints.
//!
//! `cargo run --release -p coder-bench --example full [WORK_DIR]` — the stores are built in
//! WORK_DIR (default: a new directory under the system's temporary directory), which should be
//! on the disk Coder's data lives on. Takes about two minutes on 2 cores and 3 GB of disk.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use coder_bench::{cold_start_child_main, run, BenchOptions};

fn main() {
    if let Some(code) = cold_start_child_main() {
        std::process::exit(code);
    }
    let work_dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("coder-bench-{}", std::process::id())));
    let options = BenchOptions { scale: 1.0, work_dir: work_dir.clone(), progress: true };
    let result = run(&options);
    let _ = std::fs::remove_dir(&work_dir); // only if empty: a failed run leaves its files to look at
    match result {
        Ok(report) => println!("{}", serde_json::to_string_pretty(&report).expect("a report serializes")),
        Err(e) => {
            eprintln!("coder bench: {e}");
            std::process::exit(1);
        }
    }
}
