//! A whole benchmark run at a tiny scale: every figure is there, finite and positive. No timing
//! threshold: this machine's speed is not under test.
//!
//! The test binary has its own `main` (`harness = false`): the cold-start figure runs this very
//! binary again as its child process, which must answer as that child.

use coder_bench::{cold_start_child_main, run, BenchOptions, FIGURES};

fn main() {
    if let Some(code) = cold_start_child_main() {
        std::process::exit(code);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let options = BenchOptions { scale: 0.002, work_dir: dir.path().join("bench"), progress: false };
    let report = run(&options).unwrap_or_else(|e| panic!("a small benchmark run completes: {e}"));
    let keys: Vec<&str> = report.figures.keys().map(String::as_str).collect();
    let mut expected: Vec<&str> = FIGURES.iter().map(|f| f.key).collect();
    expected.sort_unstable();
    assert_eq!(keys, expected, "the report has exactly the figures the CLI prints");
    for (key, value) in &report.figures {
        assert!(value.is_finite() && *value > 0.0, "{key} = {value} should be a finite positive number");
    }
    assert!(report.details.values().all(|v| v.is_finite()), "details are numbers: {:?}", report.details);
    serde_json::to_string(&report).expect("the report serializes for --json");
    let leftovers: Vec<_> = std::fs::read_dir(&options.work_dir).expect("the work dir exists").collect();
    assert!(leftovers.is_empty(), "each phase removes its stores: {leftovers:?}");
    eprintln!("smoke: 1 passed, 0 failed");
}
