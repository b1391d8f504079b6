//! `stress`: a synthetic conversation workload through the real append path. Each producer
//! works on threads of its own — a thread, then user messages and streamed assistant replies —
//! appending one event at a time and printing `acked <sequence>` the moment it is durable.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use coder_domain::{DomainEvent, MessageId, NewEvent, Role, SmallVec, StreamId, ThreadId, Utc};
use coder_store::{AppendRequest, EventStore, ExpectedVersion};

use crate::open;
use crate::Failure;

/// Events per thread before a producer starts a new one.
const EVENTS_PER_THREAD: u64 = 200;

pub fn run(data_dir: &Path, events: u64, producers: u64) -> Result<(), Failure> {
    if producers == 0 {
        return Err(Failure::new("--producers must be at least 1"));
    }
    let store = open::store(data_dir)?;
    let remaining = AtomicU64::new(events);
    let stdout = Mutex::new(std::io::stdout());
    let failure: Mutex<Option<String>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..producers {
            scope.spawn(|| {
                if let Err(e) = produce(&store, &remaining, &stdout) {
                    failure.lock().unwrap_or_else(|e| e.into_inner()).get_or_insert(e);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(Failure::new(e));
    }
    Ok(())
}

fn produce(store: &EventStore, remaining: &AtomicU64, stdout: &Mutex<std::io::Stdout>) -> Result<(), String> {
    let mut thread = ThreadId::new();
    let mut in_thread = 0u64;
    let mut reply: Option<MessageId> = None;
    loop {
        if remaining.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_err() {
            return Ok(());
        }
        if in_thread == EVENTS_PER_THREAD {
            thread = ThreadId::new();
            in_thread = 0;
            reply = None;
        }
        let timestamp = Utc::now();
        let event = match (in_thread, reply) {
            (0, _) => DomainEvent::ThreadCreated {
                thread_id: thread,
                title: "Stress".into(),
                timestamp,
                project_id: None,
            },
            (n, Some(message_id)) if n % 10 != 0 => DomainEvent::MessageStreaming {
                thread_id: thread,
                message_id,
                content: "some streamed words of an answer ".into(),
                timestamp,
            },
            (n, _) if n % 20 == 0 => {
                let message_id = MessageId::new();
                reply = Some(message_id);
                DomainEvent::MessageAdded {
                    thread_id: thread,
                    message_id,
                    content: String::new(),
                    role: Role::Assistant,
                    tool_uses: SmallVec::new(),
                    timestamp,
                }
            }
            _ => {
                reply = None;
                DomainEvent::MessageAdded {
                    thread_id: thread,
                    message_id: MessageId::new(),
                    content: "Please run the tests again and tell me what fails.".into(),
                    role: Role::User,
                    tool_uses: SmallVec::new(),
                    timestamp,
                }
            }
        };
        let expected =
            if in_thread == 0 { ExpectedVersion::NoStream } else { ExpectedVersion::Exact(in_thread) };
        let request = AppendRequest::new(StreamId::Thread(thread), expected, vec![NewEvent::new(event)]);
        let stored = store.append_blocking(request).map_err(|e| e.to_string())?;
        in_thread += 1;
        let mut out = stdout.lock().unwrap_or_else(|e| e.into_inner());
        for envelope in stored {
            writeln!(out, "acked {}", envelope.sequence).map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
    }
}
