//! `bench`: the benchmark run, as a table or as one JSON object.

use std::io::IsTerminal;
use std::path::Path;

use coder_bench::{BenchOptions, FIGURES};

use crate::Failure;

pub fn run(data_dir: &Path, json: bool, scale: f64, work_dir: Option<&Path>) -> Result<(), Failure> {
    if !(scale > 0.0 && scale <= 1.0) {
        return Err(Failure::new("--scale must be more than 0 and at most 1"));
    }
    // Always a folder of its own, removed afterwards: never the folder the person named.
    let parent = work_dir.unwrap_or(data_dir);
    let work_dir = parent.join(format!("coder-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)?;
    let options = BenchOptions {
        scale,
        work_dir: work_dir.clone(),
        progress: std::io::stderr().is_terminal() || !json,
    };
    let result = coder_bench::run(&options);
    let _ = std::fs::remove_dir_all(&work_dir);
    let report = result?;
    if json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!("{:<28} {:>12}  goal", "figure", "value");
    for figure in FIGURES {
        let value = report.figures.get(figure.key).copied().unwrap_or(f64::NAN);
        let (goal, verdict) = match figure.goal {
            Some(goal) => (goal.to_string(), if goal.is_met(value) { "met" } else { "missed" }),
            None => ("-".to_string(), ""),
        };
        println!("{:<28} {:>12.3}  {:<8} {verdict}", figure.key, value, goal);
    }
    for note in &report.notes {
        println!("note: {note}");
    }
    Ok(())
}
