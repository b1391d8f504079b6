//! Export and import: the log as JSON Lines.
//!
//! Format: one `EventEnvelope` per line, as JSON, in sequence order; then one line per blob,
//! `{"blob":"<hex hash>","data":"<base64>"}`, in hash order. The same store always exports the same
//! bytes (metadata maps and JSON objects have sorted keys), so export → import → export is
//! byte-identical. Import goes into an empty store only and checks the whole file first — every
//! line parses, sequences run 1, 2, 3, …, every stream's versions run 1, 2, 3, …, no event id
//! appears twice, no event is from a newer schema and every blob matches its hash — so a bad file
//! writes nothing.
//!
//! Lines are read with this build's types, so an imported event is stored as this build's
//! schema version; a schema change that serde defaults cannot absorb must upcast export lines
//! too.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use coder_domain::{ContentHash, EventEnvelope, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};

use crate::error::{AppendError, ReadError};
use crate::store::EventStore;

/// Envelopes written per import transaction.
const IMPORT_CHUNK: usize = 2000;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("cannot write the export: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error("imports go into an empty store only; this one holds {0} events")]
    NotEmpty(u64),
    #[error("line {line}: {reason}")]
    Invalid { line: usize, reason: String },
    #[error("cannot read the import: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Append(#[from] AppendError),
}

#[derive(Serialize, Deserialize)]
struct BlobLine {
    blob: String,
    data: String,
}

/// Writes the whole log; calls `progress(done, total)` now and then. Returns the event count.
pub fn export(
    store: &EventStore,
    out: &mut dyn Write,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, ExportError> {
    let total = store.last_sequence();
    let mut written = 0u64;
    let mut failure = None;
    store.scan(1, |envelope| {
        let line = serde_json::to_string(&envelope).expect("envelopes always serialize");
        if let Err(e) = out.write_all(line.as_bytes()).and_then(|_| out.write_all(b"\n")) {
            failure = Some(e);
            return std::ops::ControlFlow::Break(());
        }
        written += 1;
        if written % 10_000 == 0 {
            progress(written, total);
        }
        std::ops::ControlFlow::Continue(())
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    for (hash, data) in store.blobs()? {
        let line = BlobLine { blob: hash.to_hex(), data: STANDARD.encode(&data) };
        serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    progress(written, total);
    Ok(written)
}

/// Reads an export into an empty store. Returns the last sequence imported.
pub fn import(
    store: &EventStore,
    input: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<u64, ImportError> {
    let existing = store.last_sequence();
    if existing != 0 {
        return Err(ImportError::NotEmpty(existing));
    }
    let mut envelopes = Vec::new();
    let mut blobs = Vec::new();
    let mut versions: HashMap<[u8; 17], u64> = HashMap::new();
    let mut event_ids = HashSet::new();
    for (i, line) in input.lines().enumerate() {
        let line_no = i + 1;
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let invalid = |reason: String| ImportError::Invalid { line: line_no, reason };
        if line.starts_with("{\"blob\"") {
            let blob: BlobLine = serde_json::from_str(&line).map_err(|e| invalid(e.to_string()))?;
            let data = STANDARD.decode(&blob.data).map_err(|e| invalid(format!("blob data: {e}")))?;
            if ContentHash::of(&data).to_hex() != blob.blob {
                return Err(invalid("blob content does not match its hash".into()));
            }
            blobs.push(data);
            continue;
        }
        let mut envelope: EventEnvelope = serde_json::from_str(&line).map_err(|e| invalid(e.to_string()))?;
        if envelope.schema_version > SCHEMA_VERSION {
            return Err(invalid(format!(
                "event schema {} is newer than this version of Coder reads ({SCHEMA_VERSION})",
                envelope.schema_version
            )));
        }
        // The line was read into this build's types, so it is stored as this build writes it.
        envelope.schema_version = SCHEMA_VERSION;
        if !event_ids.insert(envelope.event_id) {
            return Err(invalid(format!("event {} appears twice", envelope.event_id)));
        }
        let expected = envelopes.len() as u64 + 1;
        if envelope.sequence != expected {
            return Err(invalid(format!("expected sequence {expected}, found {}", envelope.sequence)));
        }
        let version = versions.entry(envelope.stream.to_key()).or_insert(0);
        *version += 1;
        if envelope.stream_version != *version {
            return Err(invalid(format!(
                "expected version {} of {}, found {}",
                version, envelope.stream, envelope.stream_version
            )));
        }
        envelopes.push(envelope);
    }
    let total = envelopes.len() as u64;
    let mut last = 0;
    let mut done = 0u64;
    let mut chunks = envelopes.chunks(IMPORT_CHUNK).peekable();
    while let Some(chunk) = chunks.next() {
        let chunk_blobs = if chunks.peek().is_none() { std::mem::take(&mut blobs) } else { Vec::new() };
        last = store.import_blocking(chunk.to_vec(), chunk_blobs)?;
        done += chunk.len() as u64;
        progress(done, total);
    }
    if !blobs.is_empty() {
        store.put_blobs_blocking(blobs)?;
    }
    Ok(last)
}
