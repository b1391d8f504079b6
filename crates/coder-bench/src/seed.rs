//! Long threads on disk for the window tests and the UI benchmark: a data directory whose store
//! holds one thread of about `messages` messages (people's questions and the agent's streamed
//! answers with their runs and tool uses), written the way the engine would have written it.

use std::path::Path;

use coder_domain::{DomainEvent, ThreadId};
use coder_store::{EventStore, STORE_FILE};

use crate::bulk::Loader;
use crate::error::BenchError;
use crate::workload::Workload;

/// Events per import transaction.
const BATCH: usize = 5_000;

/// Writes a thread titled `title` with about `messages` messages (rounded up to whole turns of
/// two) into the store of `data_dir`, creating it if needed. Returns the thread's id.
pub fn write_long_thread(data_dir: &Path, title: &str, messages: usize) -> Result<ThreadId, BenchError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|source| BenchError::Io { what: data_dir.display().to_string(), source })?;
    let store = EventStore::open(data_dir.join(STORE_FILE))?;
    let thread_id = ThreadId::new();
    let mut workload = Workload::new(0x5EED_00E2);
    let mut loader = Loader::new(&store, None, BATCH);
    let mut created = workload.create_thread(thread_id);
    if let DomainEvent::ThreadCreated { title: t, .. } = &mut created.event.event {
        title.clone_into(t);
    }
    loader.push_all([created])?;
    let mut turn = Vec::new();
    for _ in 0..messages.div_ceil(2) {
        workload.turn(thread_id, &mut turn);
        loader.push_all(turn.drain(..))?;
    }
    loader.flush()?;
    drop(loader);
    store.close();
    Ok(thread_id)
}

#[cfg(test)]
mod tests {
    use coder_domain::ChatEntry;
    use coder_engine::Engine;

    use super::*;

    #[test]
    fn the_thread_opens_with_its_title_and_messages() {
        let dir = tempfile::tempdir().unwrap();
        let thread = write_long_thread(dir.path(), "Long one", 100).unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        assert_eq!(engine.thread(thread).map(|t| t.title), Some("Long one".to_string()));
        let messages = engine
            .with_chat(thread, |v| v.entries.iter().filter(|e| matches!(e, ChatEntry::Message(_))).count())
            .unwrap();
        assert_eq!(messages, 100, "fifty turns of a question and an answer");
    }
}
