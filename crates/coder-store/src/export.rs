//! Export and import: the log as JSON Lines.
//!
//! Format: one `EventEnvelope` per line, as JSON, in sequence order; then one line per blob,
//! `{"blob":"<hex hash>","data":"<base64>"}`, in hash order. The same store always exports the same
//! bytes (metadata maps and JSON objects have sorted keys), so export → import → export is
//! byte-identical. Import goes into an empty store only and is all or nothing: it checks the whole
//! file first — every line parses, sequences run 1, 2, 3, …, every stream's versions run 1, 2,
//! 3, …, no event id appears twice, no event is from a newer schema and every blob matches its
//! hash — and then writes it in one transaction, so neither a bad file nor a failure while
//! writing (a full disk) leaves any of it behind.
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
use crate::writer::ImportPart;

/// Envelopes handed to the writer at a time. All chunks go into one transaction; chunking only
/// bounds what is encoded at once and lets progress be reported.
const IMPORT_CHUNK: usize = 2000;

/// The longest line `import` reads, newline excluded. A line is read whole before it is parsed,
/// so without a bound one endless line would take all memory. A blob line carries its content in
/// base64 (4/3 of its size), so this admits contents of up to 192 MiB; an event line is far
/// shorter.
pub const MAX_IMPORT_LINE_BYTES: usize = 256 * 1024 * 1024;

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
    #[error("line {line} is longer than {limit} bytes; this is not a Coder export")]
    LineTooLong { line: usize, limit: usize },
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
    import_with_limit(store, input, progress, MAX_IMPORT_LINE_BYTES)
}

/// `import` with another bound on the length of a line than `MAX_IMPORT_LINE_BYTES`.
///
/// All or nothing: on any `Err` the store holds exactly what it held before (nothing). Two
/// passes: the first reads and checks every line, keeping the parsed events and blobs; the
/// second hands them to the writer in chunks of `IMPORT_CHUNK`, all staged in one write
/// transaction that is committed only after the last (see `writer`). A refusal or a storage
/// failure (a full disk) aborts that transaction. Memory is therefore proportional to the input
/// (its parsed events and blob contents), plus one encoded chunk; a line is bounded by
/// `max_line_bytes`. `progress(done, total)` counts events handed to the writer.
pub fn import_with_limit(
    store: &EventStore,
    input: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64, u64),
    max_line_bytes: usize,
) -> Result<u64, ImportError> {
    let existing = store.last_sequence();
    if existing != 0 {
        return Err(ImportError::NotEmpty(existing));
    }
    let mut envelopes = Vec::new();
    let mut blobs: Vec<Vec<u8>> = Vec::new();
    let mut versions: HashMap<[u8; 17], u64> = HashMap::new();
    let mut event_ids = HashSet::new();
    let mut buffer = Vec::new();
    let mut line_no = 0;
    loop {
        line_no += 1;
        if !read_line(input, &mut buffer, max_line_bytes)? {
            break;
        }
        if buffer.len() > max_line_bytes {
            return Err(ImportError::LineTooLong { line: line_no, limit: max_line_bytes });
        }
        let invalid = |reason: String| ImportError::Invalid { line: line_no, reason };
        let line = std::str::from_utf8(&buffer).map_err(|e| invalid(format!("not UTF-8 text: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("{\"blob\"") {
            let blob: BlobLine = serde_json::from_str(line).map_err(|e| invalid(e.to_string()))?;
            let data = STANDARD.decode(&blob.data).map_err(|e| invalid(format!("blob data: {e}")))?;
            if ContentHash::of(&data).to_hex() != blob.blob {
                return Err(invalid("blob content does not match its hash".into()));
            }
            blobs.push(data);
            continue;
        }
        let mut envelope: EventEnvelope = serde_json::from_str(line).map_err(|e| invalid(e.to_string()))?;
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
    let (parts, answer) = store.begin_import(crate::writer::Origin::OtherLog);
    let mut done = 0u64;
    let mut pending = envelopes.into_iter();
    // A failed send means the writer refused the import and stopped listening; its answer
    // says why, so the remaining parts are not sent.
    let mut sending = true;
    while sending {
        let chunk: Vec<EventEnvelope> = pending.by_ref().take(IMPORT_CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        done += chunk.len() as u64;
        sending = parts.send(ImportPart::Events(chunk)).is_ok();
        if sending {
            progress(done, total);
        }
    }
    if sending && parts.send(ImportPart::Blobs(blobs)).is_ok() {
        // Without this the writer aborts: the import is committed only after its last part.
        let _refused = parts.send(ImportPart::Commit).is_err();
    }
    drop(parts);
    Ok(answer.blocking_recv().unwrap_or(Err(AppendError::Closed))?)
}

/// Reads one line into `buffer`, without its `\n` or `\r\n`. Returns false at the end of the
/// input with nothing read. Stops reading once the line is longer than `limit` (leaving
/// `buffer` longer than `limit`, for the caller to refuse), so an endless line costs `limit`
/// bytes of memory, not the whole input.
fn read_line(input: &mut dyn BufRead, buffer: &mut Vec<u8>, limit: usize) -> std::io::Result<bool> {
    buffer.clear();
    let mut read_any = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            break;
        }
        read_any = true;
        let (chunk, newline) = match available.iter().position(|b| *b == b'\n') {
            Some(at) => (&available[..at], true),
            None => (available, false),
        };
        let room = (limit + 1).saturating_sub(buffer.len());
        let take = chunk.len().min(room);
        buffer.extend_from_slice(&chunk[..take]);
        let consumed = if newline && take == chunk.len() { take + 1 } else { take };
        input.consume(consumed);
        if buffer.len() > limit || newline {
            break;
        }
    }
    if buffer.last() == Some(&b'\r') && buffer.len() <= limit {
        buffer.pop();
    }
    Ok(read_any)
}
