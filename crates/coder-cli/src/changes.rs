//! `diff RUN` and `revert RUN`.

use std::path::Path;

use coder_agent::changes;
use coder_domain::RunId;

use crate::agent_run::open_engine;
use crate::Failure;

fn parse_run(text: &str) -> Result<RunId, Failure> {
    RunId::parse(text).map_err(|_| Failure::new(format!("{text:?} is not a run id")))
}

pub fn diff(data_dir: &Path, run: &str) -> Result<(), Failure> {
    let run = parse_run(run)?;
    let engine = open_engine(data_dir, false)?;
    let mut list = changes::run_changes(&engine, run)?;
    if list.is_empty() {
        println!("run {run} changed no files");
    }
    list.reverse(); // oldest first reads like a story
    for (_, change) in &list {
        print!("{}", changes::diff(&engine, change)?);
    }
    Ok(())
}

pub fn revert(data_dir: &Path, run: &str, force: bool) -> Result<(), Failure> {
    let run = parse_run(run)?;
    let engine = open_engine(data_dir, true)?;
    let root = engine
        .with_state(|s| {
            let thread = s.runs.get(&run)?.thread_id;
            let project = s.threads.get(&thread)?.project_id?;
            s.projects.get(&project).map(|p| p.path.clone())
        })
        .ok_or_else(|| Failure::new(format!("run {run} has no project folder")))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let count = runtime.block_on(changes::revert_run(&engine, run, Path::new(&root), force))?;
    println!("reverted {count} file changes of run {run}");
    Ok(())
}
