//! `export`, `import` and `verify`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use crate::open;
use crate::progress::Progress;
use crate::Failure;

pub fn export(data_dir: &Path, out: Option<&Path>) -> Result<(), Failure> {
    let store = open::existing_store(data_dir)?;
    let mut progress = Progress::new("exporting");
    let count = match out {
        Some(path) => {
            let file = File::create(path)
                .map_err(|e| Failure::new(format!("cannot create {}: {e}", path.display())))?;
            let mut writer = BufWriter::new(file);
            let count = coder_store::export(&store, &mut writer, &mut |d, t| progress.update(d, t))?;
            writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            count
        }
        None => {
            let stdout = std::io::stdout();
            let mut writer = BufWriter::new(stdout.lock());
            let count = coder_store::export(&store, &mut writer, &mut |d, t| progress.update(d, t))?;
            writer.flush()?;
            count
        }
    };
    eprintln!("exported {count} events");
    Ok(())
}

pub fn import(data_dir: &Path, file: &Path) -> Result<(), Failure> {
    let input = File::open(file).map_err(|e| Failure::new(format!("cannot open {}: {e}", file.display())))?;
    let store = open::store(data_dir)?;
    let mut progress = Progress::new("importing");
    let last = coder_store::import(&store, &mut BufReader::new(input), &mut |d, t| progress.update(d, t))?;
    eprintln!("imported {last} events");
    Ok(())
}

pub fn verify(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let store = open::existing_store(data_dir)?;
    let report = coder_store::verify(&store)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.is_ok() {
        println!(
            "ok: {} events in {} streams, sequence gapless, indexes consistent, {} blob references present",
            report.events, report.streams, report.blobs_checked
        );
    } else {
        println!("{} problems in {} events:", report.problems.len(), report.events);
        for p in &report.problems {
            println!("  - {p}");
        }
    }
    if report.is_ok() {
        Ok(())
    } else {
        Err(Failure::new("the store is not consistent"))
    }
}
