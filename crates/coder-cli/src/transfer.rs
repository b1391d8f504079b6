//! `export`, `import` and `verify`.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use coder_store::STORE_FILE;

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

/// Imports into a store file of its own next to the real one, and moves it into place only once
/// every event is in: an import that fails halfway (a full disk, say) leaves nothing behind.
pub fn import(data_dir: &Path, file: &Path) -> Result<(), Failure> {
    let input = File::open(file).map_err(|e| Failure::new(format!("cannot open {}: {e}", file.display())))?;
    let target = data_dir.join(STORE_FILE);
    if target.exists() {
        // Refuses a store that holds events, with the store's own message.
        let existing = open::store(data_dir)?;
        let events = existing.last_sequence();
        existing.close();
        if events > 0 {
            return Err(coder_store::ImportError::NotEmpty(events).into());
        }
    }
    let staging = data_dir.join(format!("{STORE_FILE}.importing-{}", std::process::id()));
    let _ = std::fs::remove_file(&staging);
    let result = (|| {
        let store = coder_store::EventStore::open(&staging)?;
        let mut progress = Progress::new("importing");
        let last =
            coder_store::import(&store, &mut BufReader::new(input), &mut |d, t| progress.update(d, t))?;
        store.close();
        Ok::<u64, Failure>(last)
    })();
    match result {
        Ok(last) => {
            std::fs::rename(&staging, &target)
                .map_err(|e| Failure::new(format!("cannot move the imported store into place: {e}")))?;
            eprintln!("imported {last} events");
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&staging);
            Err(e)
        }
    }
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
