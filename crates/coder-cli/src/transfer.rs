//! `export`, `import` and `verify`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use coder_store::{IntegrityCheck, STORE_FILE};

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

/// Imports into the store of `data_dir`, which must hold no events. The library import is all
/// or nothing (one transaction, committed after the last line), so a failed import leaves the
/// store as it was; a store file created for this import is removed again, leaving no trace.
pub fn import(data_dir: &Path, file: &Path) -> Result<(), Failure> {
    let input = File::open(file).map_err(|e| Failure::new(format!("cannot open {}: {e}", file.display())))?;
    let target = data_dir.join(STORE_FILE);
    let created = !target.exists();
    let store = open::store(data_dir)?;
    let mut progress = Progress::new("importing");
    let result = coder_store::import(&store, &mut BufReader::new(input), &mut |d, t| progress.update(d, t));
    store.close();
    match result {
        Ok(last) => {
            eprintln!("imported {last} events");
            // A run that was open where the log was written is ended at the next start, by
            // recovery: the import recorded how far it reached, in its own transaction.
            Ok(())
        }
        Err(e) => {
            if created {
                // Nothing was imported into it: it is the empty file this command created.
                let _ = std::fs::remove_file(&target);
            }
            Err(e.into())
        }
    }
}

/// What redb's own check of the file found, in a few words.
fn integrity(check: &IntegrityCheck) -> String {
    match check {
        IntegrityCheck::Passed => "redb integrity ok".into(),
        IntegrityCheck::Repaired => "redb repaired the file".into(),
        IntegrityCheck::Failed(reason) => format!("redb integrity check failed ({reason})"),
        IntegrityCheck::Skipped(reason) => format!("redb integrity check skipped ({reason})"),
        other => format!("redb integrity: {other:?}"),
    }
}

pub fn verify(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let store = open::existing_store(data_dir)?;
    let report = coder_store::verify(&store)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if report.is_ok() {
        println!(
            "ok: {} events in {} streams, sequence gapless, indexes consistent, {} blob references present, \
             {} checksums match, {} unchecked, {}",
            report.events,
            report.streams,
            report.blobs_checked,
            report.checksums_checked,
            report.unchecked,
            integrity(&report.integrity)
        );
    } else {
        println!(
            "{} problems in {} events ({} checksums match, {} unchecked, {}):",
            report.problems.len(),
            report.events,
            report.checksums_checked,
            report.unchecked,
            integrity(&report.integrity)
        );
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
