//! Opening the store or the engine with messages a person can act on.

use std::path::Path;

use coder_engine::{Engine, EngineConfig};
use coder_store::{EventStore, OpenError, STORE_FILE};

use crate::Failure;

fn explain(e: OpenError) -> Failure {
    match e {
        OpenError::Locked { .. } => Failure::new(
            "the store is in use by a running Coder app; quit the app (or wait for the other command) and try again",
        ),
        other => Failure::new(other.to_string()),
    }
}

/// The store of `data_dir`; an error if there is none yet (reading commands never create one).
pub fn existing_store(data_dir: &Path) -> Result<EventStore, Failure> {
    let path = data_dir.join(STORE_FILE);
    if !path.exists() {
        return Err(Failure::new(format!(
            "no Coder data in {} (nothing has been stored there yet)",
            data_dir.display()
        )));
    }
    let store = EventStore::open(&path).map_err(explain)?;
    warn_read_only(store.read_only_reason());
    Ok(store)
}

/// The store of `data_dir`, created if missing.
pub fn store(data_dir: &Path) -> Result<EventStore, Failure> {
    let store = EventStore::open(data_dir.join(STORE_FILE)).map_err(explain)?;
    warn_read_only(store.read_only_reason());
    Ok(store)
}

/// The engine of an existing store, for reading: no start-up recovery, no snapshots written.
pub fn engine_for_reading(data_dir: &Path) -> Result<Engine, Failure> {
    if !data_dir.join(STORE_FILE).exists() {
        return Err(Failure::new(format!(
            "no Coder data in {} (nothing has been stored there yet)",
            data_dir.display()
        )));
    }
    let config = EngineConfig { recover: false, ..EngineConfig::default() };
    let engine = Engine::open_with(data_dir, config).map_err(|e| match e {
        coder_engine::EngineError::Open(open) => explain(open),
        other => Failure::new(other.to_string()),
    })?;
    warn_read_only(engine.read_only_reason());
    Ok(engine)
}

fn warn_read_only(reason: Option<&str>) {
    if let Some(reason) = reason {
        eprintln!("note: the store is read-only: {reason}");
    }
}
