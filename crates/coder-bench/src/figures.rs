//! One function per figure (two for the pairs measured together). Each records its figure, the
//! raw numbers behind it in `details`, and, when the goal is missed, a note that reads the
//! numbers. Coder and SQLite alternate round by round; medians are reported.

use std::fs::OpenOptions;
use std::io::Write;
use std::ops::ControlFlow;
use std::sync::{Barrier, Mutex};
use std::time::Instant;

use coder_domain::{
    ChatView, Command, DomainEvent, EventEnvelope, MessageId, NewEvent, Projection, StreamId, ThreadId,
};
use coder_engine::{Engine, EngineConfig};
use coder_store::{codec, AppendRequest, EventStore, ExpectedVersion, STORE_FILE};
use serde::Deserialize;

use crate::bulk::{fresh_dir, remove_dir, LargeStore, Loader};
use crate::cold_start;
use crate::error::BenchError;
use crate::inspect;
use crate::measure::{median, ms, percentile, timed, us};
use crate::projections::Projections;
use crate::sizes::TOKENS_PER_DELTA;
use crate::sqlite::SqliteLog;
use crate::workload::Workload;
use crate::Bench;

/// `stream_bytes_vs_text`: one long reply streamed through the engine, as the agent stores it.
pub(crate) fn stream_bytes(b: &mut Bench) -> Result<(), BenchError> {
    let dir = b.work_dir.join("stream");
    fresh_dir(&dir)?;
    let tokens = b.sizes.stream_tokens;
    b.progress.say(format!("stream_bytes_vs_text: streaming a {tokens}-token reply through the engine"));
    let engine = Engine::open(&dir)?;
    let thread_id = ThreadId::new();
    engine.dispatch_blocking(Command::CreateThread {
        thread_id,
        title: "Streaming".into(),
        project_id: None,
    })?;
    let content = "Explain how the parser recovers from errors.".to_string();
    engine.dispatch_blocking(Command::SendMessage {
        thread_id,
        message_id: MessageId::new(),
        content,
        attachments: Vec::new(),
    })?;
    let message_id = MessageId::new();
    engine.dispatch_blocking(Command::StartAssistantMessage { thread_id, message_id })?;
    let mut workload = Workload::new(0x5EED_0002);
    let (mut text, mut left, mut dispatch_us) = (String::new(), tokens, Vec::new());
    while left > 0 {
        let delta = workload.tokens(left.min(TOKENS_PER_DELTA));
        left = left.saturating_sub(TOKENS_PER_DELTA);
        text.push_str(&delta);
        let (result, took) =
            timed(|| engine.dispatch_blocking(Command::StreamText { thread_id, message_id, delta }));
        result?;
        dispatch_us.push(us(took));
    }
    let final_content = text.clone();
    engine.dispatch_blocking(Command::CompleteMessage { thread_id, message_id, final_content })?;
    let events = engine.thread_events(thread_id)?;
    engine.close();

    let (mut records, mut deltas, mut delta_records, mut complete_record, mut json) = (0, 0, 0, 0, 0);
    for envelope in events.iter().filter(|e| is_about(e, message_id)) {
        let record = codec::encode(envelope).map_err(BenchError::Encode)?.len();
        records += record;
        json += serde_json::to_vec(envelope)?.len();
        match envelope.event {
            DomainEvent::MessageStreaming { .. } => {
                deltas += 1;
                delta_records += record;
            }
            DomainEvent::MessageComplete { .. } => complete_record = record,
            _ => {}
        }
    }
    let text_bytes = text.len();
    let ratio = records as f64 / (text_bytes + 2048) as f64;
    let overhead_per_delta = (delta_records as f64 - text_bytes as f64) / f64::from(deltas.max(1));
    let r = &mut b.report;
    r.detail("stream_tokens", tokens as f64);
    r.detail("stream_text_bytes", text_bytes as f64);
    r.detail("stream_deltas", f64::from(deltas));
    r.detail("stream_record_bytes", records as f64);
    r.detail("stream_complete_record_bytes", complete_record as f64);
    r.detail("stream_envelope_bytes_per_delta", overhead_per_delta);
    r.detail("stream_json_bytes", json as f64);
    r.detail("engine_stream_text_dispatch_p50_us", median(&dispatch_us));
    let budget = 1.2 * (text_bytes + 2048) as f64;
    r.figure("stream_bytes_vs_text", ratio, || {
        format!(
            "the goal allows {budget:.0} B in all; the {text_bytes} B of text are stored twice — once \
             across {deltas} deltas, again whole in MessageComplete.final_content ({complete_record} B) — \
             and each delta record adds {overhead_per_delta:.0} B of envelope (ids, stream, timestamp text, \
             field names, `command` metadata)"
        )
    });
    remove_dir(&dir)
}

fn is_about(envelope: &EventEnvelope, message: MessageId) -> bool {
    match &envelope.event {
        DomainEvent::MessageAdded { message_id, .. }
        | DomainEvent::MessageStreaming { message_id, .. }
        | DomainEvent::MessageComplete { message_id, .. } => *message_id == message,
        _ => false,
    }
}

/// The shape the engine snapshots a chat view in, to time decoding it alone.
#[derive(Deserialize)]
struct ChatSnapshotShape {
    #[serde(rename = "thread_version")]
    _thread_version: u64,
    view: ChatView,
}

/// `open_thread_ms` and `open_vs_replay`: a long thread, snapshotted by the engine at a clean
/// shutdown, then a tail of events written after the snapshot; opened through the engine.
pub(crate) fn open_thread(b: &mut Bench) -> Result<(), BenchError> {
    let dir = b.work_dir.join("open-thread");
    fresh_dir(&dir)?;
    let (messages, tail, rounds) = (b.sizes.long_thread_messages, b.sizes.tail_events, b.sizes.rounds);
    b.progress.say(format!("open_thread_ms: writing a {messages}-message thread"));
    let thread_id = ThreadId::new();
    let mut workload = Workload::new(0x5EED_0003);
    let store = EventStore::open(dir.join(STORE_FILE))?;
    let mut loader = Loader::new(&store, None, b.sizes.import_batch);
    loader.push_all([workload.create_thread(thread_id)])?;
    let mut turn = Vec::new();
    for _ in 0..messages.div_ceil(2) {
        workload.turn(thread_id, &mut turn);
        loader.push_all(turn.drain(..))?;
    }
    loader.flush()?;
    let thread_events = loader.events;
    drop(loader);
    store.close();

    b.progress.say("open_thread_ms: first open, full replays, snapshot at a clean shutdown");
    let config = EngineConfig {
        chat_snapshot_every: EngineConfig::default().chat_snapshot_every,
        ..Default::default()
    };
    let (engine, first_open) = timed(|| Engine::open_with(&dir, config.clone()));
    let engine = engine?;
    let mut replay_ms = Vec::new();
    for _ in 0..rounds {
        let (entries, took) = timed(|| replay_thread(&engine, thread_id));
        entries?;
        replay_ms.push(ms(took));
    }
    let (loaded, unsnapshotted_open) = timed(|| engine.with_chat(thread_id, |v| v.entries.len()));
    loaded?;
    // One more message changes the loaded view, so the clean shutdown snapshots it.
    let content = "One more thing: add a test for it.".to_string();
    engine.dispatch_blocking(Command::SendMessage {
        thread_id,
        message_id: MessageId::new(),
        content,
        attachments: Vec::new(),
    })?;
    engine.close();

    let store = EventStore::open(dir.join(STORE_FILE))?;
    let mut loader = Loader::new(&store, None, b.sizes.import_batch);
    loader.continue_stream(StreamId::Thread(thread_id))?;
    while loader.events < tail as u64 {
        workload.turn(thread_id, &mut turn);
        loader.push_all(turn.drain(..))?;
        loader.flush()?;
    }
    let tail_events = loader.events;
    drop(loader);
    store.close();

    b.progress.say("open_thread_ms: reopening and opening the thread");
    let (mut open_ms, mut engine_open_ms, mut entries) = (Vec::new(), Vec::new(), 0);
    let (mut snapshot_bytes, mut read_ms, mut decode_ms) = (0, Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (engine, took) = timed(|| Engine::open_with(&dir, config.clone()));
        let engine = engine?;
        // Opening a thread is measured on a ready engine: the start itself (the write model
        // loading in the background) is what cold_start_ms and this detail measure.
        let ((), ready) = timed(|| engine.wait_until_ready());
        engine_open_ms.push(ms(took) + ms(ready));
        let (count, took) = timed(|| engine.with_chat(thread_id, |v| v.entries.len()));
        entries = count?;
        open_ms.push(ms(took));
        let (bytes, read, decode) = time_chat_snapshot(&engine, thread_id)?;
        snapshot_bytes = bytes;
        read_ms.push(read);
        decode_ms.push(decode);
        engine.close();
    }
    let (snapshot_read_ms, snapshot_decode_ms) = (median(&read_ms), median(&decode_ms));
    let (open, replay) = (median(&open_ms), median(&replay_ms));
    let r = &mut b.report;
    r.detail("open_thread_messages", messages as f64);
    r.detail("open_thread_events", (thread_events + 1 + tail_events) as f64);
    r.detail("open_thread_entries", entries as f64);
    r.detail("open_thread_tail_events", tail_events as f64);
    r.detail("open_thread_replay_ms", replay);
    r.detail("open_thread_without_snapshot_ms", ms(unsnapshotted_open));
    r.detail("open_thread_snapshot_bytes", snapshot_bytes as f64);
    r.detail("open_thread_snapshot_read_ms", snapshot_read_ms);
    r.detail("open_thread_snapshot_decode_ms", snapshot_decode_ms);
    r.detail("open_thread_engine_first_open_ms", ms(first_open));
    r.detail("open_thread_engine_open_ms", median(&engine_open_ms));
    let snapshot_mib = snapshot_bytes as f64 / (1024.0 * 1024.0);
    let reading = || {
        format!(
            "the chat snapshot is the whole view ({entries} entries, {snapshot_mib:.1} MiB), read \
             ({snapshot_read_ms:.1} ms) and decoded ({snapshot_decode_ms:.1} ms) whole before the first row \
             shows, so opening grows with the thread; the {tail_events}-event tail is the rest"
        )
    };
    r.figure("open_thread_ms", open, reading);
    r.figure("open_vs_replay", replay / open, || {
        format!("a full replay of the thread takes {replay:.0} ms and opening it {open:.0} ms: {}", reading())
    });
    remove_dir(&dir)
}

/// Reads and decodes a thread's newest chat snapshot as the engine does, each step timed:
/// its size, and the milliseconds reading and decoding took.
fn time_chat_snapshot(engine: &Engine, thread: ThreadId) -> Result<(usize, f64, f64), BenchError> {
    let key = thread.as_uuid().as_bytes();
    let (stored, read) = timed(|| engine.store().snapshot(ChatView::NAME, key, u64::MAX));
    let stored =
        stored?.ok_or_else(|| BenchError::Inspect("the clean shutdown left no chat snapshot".into()))?;
    let (decoded, decode) = timed(|| rmp_serde::from_slice::<ChatSnapshotShape>(&stored.bytes));
    let decoded =
        decoded.map_err(|e| BenchError::Inspect(format!("the chat snapshot does not decode: {e}")))?;
    drop(decoded.view);
    Ok((stored.bytes.len(), ms(read), ms(decode)))
}

/// A thread's chat view from all its events, as a load without a snapshot does it.
fn replay_thread(engine: &Engine, thread: ThreadId) -> Result<usize, BenchError> {
    let mut view = ChatView::new(thread);
    for envelope in engine.thread_events(thread)? {
        view.apply_envelope(&envelope);
    }
    Ok(view.entries.len())
}

/// `bytes_per_event_vs_sqlite`: the large store's file against the baseline's, same events.
pub(crate) fn bytes_per_event(b: &mut Bench, large: &LargeStore) -> Result<(), BenchError> {
    b.progress.say("bytes_per_event_vs_sqlite: sizing both stores");
    let path = large.coder_path();
    let coder = std::fs::metadata(&path).map_err(BenchError::io(format!("sizing {}", path.display())))?.len();
    let sqlite = SqliteLog::open(&large.sqlite)?.bytes_on_disk()?;
    let (mut records, mut json) = (0u64, 0u64);
    let store = EventStore::open(&path)?;
    let mut failure = None;
    store.scan(1, |e| match (codec::encode(&e), serde_json::to_vec(&e)) {
        (Ok(record), Ok(body)) => {
            records += record.len() as u64;
            json += body.len() as u64;
            ControlFlow::Continue(())
        }
        (Err(e), _) => {
            failure = Some(BenchError::Encode(e));
            ControlFlow::Break(())
        }
        (_, Err(e)) => {
            failure = Some(e.into());
            ControlFlow::Break(())
        }
    })?;
    store.close();
    if let Some(e) = failure {
        return Err(e);
    }
    let tables = inspect::table_bytes(&path)?;
    let events = large.events as f64;
    let (coder_per_event, sqlite_per_event) = (coder as f64 / events, sqlite as f64 / events);
    let (record_per_event, json_per_event) = (records as f64 / events, json as f64 / events);
    let (events_table, indexes) = (tables.events as f64 / events, tables.indexes as f64 / events);
    let unused = (coder.saturating_sub(tables.total())) as f64 / events;
    let r = &mut b.report;
    r.detail("coder_bytes_per_event", coder_per_event);
    r.detail("coder_record_bytes_per_event", record_per_event);
    r.detail("coder_events_table_bytes_per_event", events_table);
    r.detail("coder_index_bytes_per_event", indexes);
    r.detail("coder_unused_file_bytes_per_event", unused);
    r.detail("sqlite_bytes_per_event", sqlite_per_event);
    r.detail("sqlite_json_bytes_per_event", json_per_event);
    r.figure("bytes_per_event_vs_sqlite", coder_per_event / sqlite_per_event, || {
        format!(
            "of Coder's {coder_per_event:.0} B per event, the events table's pages take \
             {events_table:.0} B ({record_per_event:.0} B of record), the three indexes {indexes:.0} B, \
             and {unused:.0} B are file space no table uses (freed copy-on-write pages, growth ahead of \
             need) that nothing gives back; SQLite's {sqlite_per_event:.0} B hold {json_per_event:.0} B \
             of JSON and one index"
        )
    });
    Ok(())
}

/// `replay_vs_sqlite`: the whole large log into the thread list and every chat view.
pub(crate) fn replay(b: &mut Bench, large: &LargeStore) -> Result<(), BenchError> {
    b.progress.say(format!("replay_vs_sqlite: {} events, {} rounds each", large.events, b.sizes.rounds));
    let store = EventStore::open(large.coder_path())?;
    let sqlite = SqliteLog::open(&large.sqlite)?;
    let coder_replay = || -> Result<(u64, (usize, usize)), BenchError> {
        let mut projections = Projections::default();
        store.scan(1, |e| {
            projections.apply(&e);
            ControlFlow::Continue(())
        })?;
        Ok((projections.events(), projections.shape()))
    };
    let sqlite_replay = || -> Result<(u64, (usize, usize)), BenchError> {
        let mut projections = Projections::default();
        sqlite.scan(|e| projections.apply(&e))?;
        Ok((projections.events(), projections.shape()))
    };
    let (mut coder, mut baseline, mut shapes) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..b.sizes.rounds {
        for side in [round % 2, 1 - round % 2] {
            let (result, took) = if side == 0 { timed(coder_replay) } else { timed(sqlite_replay) };
            let (events, shape) = result?;
            let rate = events as f64 / took.as_secs_f64();
            if side == 0 {
                coder.push(rate)
            } else {
                baseline.push(rate)
            }
            shapes.push(shape);
        }
    }
    // Decoding alone, once each, to tell decoding from folding.
    let (count, took) = timed(|| {
        let mut n = 0u64;
        store
            .scan(1, |_| {
                n += 1;
                ControlFlow::Continue(())
            })
            .map(|()| n)
    });
    let coder_decode = count? as f64 / took.as_secs_f64();
    let (count, took) = timed(|| {
        let mut n = 0u64;
        sqlite.scan(|_| n += 1).map(|()| n)
    });
    let sqlite_decode = count? as f64 / took.as_secs_f64();
    store.close();
    if shapes.windows(2).any(|w| w[0] != w[1]) {
        b.report.note(format!(
            "replay: the two sides built different projections {shapes:?}; the log is misread"
        ));
    }
    let (coder, baseline) = (median(&coder), median(&baseline));
    let r = &mut b.report;
    r.detail("replay_events", large.events as f64);
    r.detail("replay_coder_events_per_s", coder);
    r.detail("replay_sqlite_events_per_s", baseline);
    r.detail("replay_coder_decode_only_events_per_s", coder_decode);
    r.detail("replay_sqlite_decode_only_events_per_s", sqlite_decode);
    r.figure("replay_vs_sqlite", coder / baseline, || {
        format!(
            "reading and decoding alone runs at {coder_decode:.0} events/s for Coder and \
             {sqlite_decode:.0} for SQLite; the projections, the same on both sides, cap the end-to-end \
             rates at {coder:.0} and {baseline:.0} events/s"
        )
    });
    Ok(())
}

/// `cold_start_ms` and `cold_start_rss_mb`: the engine opened on the large store by a fresh
/// process, after one clean shutdown left its snapshots, as the app's last exit would have.
pub(crate) fn cold_start(b: &mut Bench, large: &LargeStore) -> Result<(), BenchError> {
    b.progress.say("cold_start_ms: first open of the engine (replays the log), clean shutdown");
    let (engine, first_open) = timed(|| Engine::open(&large.dir));
    let engine = engine?;
    let ((), close) = timed(|| engine.close());
    let store = EventStore::open(large.coder_path())?;
    let snapshot_len = |name: &str| -> Result<f64, BenchError> {
        Ok(store.snapshot(name, b"", u64::MAX)?.map_or(0.0, |s| s.bytes.len() as f64))
    };
    let write_model = snapshot_len(coder_engine::WriteModel::NAME)?;
    let thread_list = snapshot_len(coder_domain::ThreadList::NAME)?;
    store.close();
    b.progress.say(format!("cold_start_ms: {} child processes", b.sizes.rounds));
    let (mut times, mut rss) = (Vec::new(), Vec::new());
    for _ in 0..b.sizes.rounds {
        let start = cold_start::measure(&large.dir)?;
        if start.threads != large.threads {
            b.report.note(format!("cold start listed {} threads of {}", start.threads, large.threads));
        }
        times.push(start.ms);
        rss.push(start.peak_rss_mb);
    }
    let r = &mut b.report;
    r.detail("cold_start_events", large.events as f64);
    r.detail("cold_start_threads", large.threads as f64);
    r.detail("engine_first_open_ms", ms(first_open));
    r.detail("engine_close_ms", ms(close));
    r.detail("write_model_snapshot_bytes", write_model);
    r.detail("thread_list_snapshot_bytes", thread_list);
    r.figure("cold_start_ms", median(&times), String::new);
    r.figure("cold_start_rss_mb", median(&rss), String::new);
    r.note("cold start runs with the store in the OS page cache (just written): a warm-disk start");
    Ok(())
}

/// Latency rounds run before the samples, to warm caches and the writer thread.
const WARM_UP: usize = 5;

/// `append_p50_vs_fsync`: one person's action appended durably to the large store, against a
/// raw write + `fsync` of a file beside it and a one-row SQLite commit; interleaved.
pub(crate) fn append_latency(
    b: &mut Bench,
    large: &LargeStore,
    store: &EventStore,
    sqlite: &mut SqliteLog,
) -> Result<(), BenchError> {
    let samples = b.sizes.latency_samples;
    b.progress.say(format!("append_p50_vs_fsync: {samples} samples each"));
    let probe_path = large.dir.join("fsync-probe");
    let mut probe = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&probe_path)
        .map_err(BenchError::io(format!("opening {}", probe_path.display())))?;
    let mut workload = Workload::new(0x5EED_0004);
    let thread_id = ThreadId::new();
    let stream = StreamId::Thread(thread_id);
    store.append_blocking(AppendRequest::new(
        stream,
        ExpectedVersion::Any,
        vec![workload.create_thread(thread_id).event],
    ))?;
    sqlite.append(stream, workload.create_thread(thread_id).event)?;
    let (mut coder, mut fsync, mut baseline) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..samples + WARM_UP {
        for k in 0..3 {
            let event = workload.user_message(thread_id).event;
            match (i + k) % 3 {
                0 => {
                    let request = AppendRequest::new(stream, ExpectedVersion::Any, vec![event]);
                    let (result, took) = timed(|| store.append_blocking(request));
                    result?;
                    coder.push(us(took));
                }
                1 => {
                    let (result, took) =
                        timed(|| probe.write_all(&[b'x'; 64]).and_then(|()| probe.sync_all()));
                    result.map_err(BenchError::io("writing the fsync probe"))?;
                    fsync.push(us(took));
                }
                _ => {
                    let (result, took) = timed(|| sqlite.append(stream, event));
                    result?;
                    baseline.push(us(took));
                }
            }
        }
    }
    // The first rounds warm caches and the writer thread; they are not samples.
    for v in [&mut coder, &mut fsync, &mut baseline] {
        v.drain(..WARM_UP);
    }
    let (append_p50, fsync_p50, sqlite_p50) = (median(&coder), median(&fsync), median(&baseline));
    let r = &mut b.report;
    r.detail("append_p50_us", append_p50);
    r.detail("append_p90_us", percentile(&coder, 0.9));
    r.detail("fsync_p50_us", fsync_p50);
    r.detail("fsync_p90_us", percentile(&fsync, 0.9));
    r.detail("sqlite_append_p50_us", sqlite_p50);
    r.detail("sqlite_append_p90_us", percentile(&baseline, 0.9));
    r.figure("append_p50_vs_fsync", append_p50 / fsync_p50, || {
        format!(
            "an append takes {append_p50:.0} µs at p50 against {fsync_p50:.0} µs for 64 bytes + fsync \
             (SQLite's one-row commit: {sqlite_p50:.0} µs); the commit flushes the pages of four B-trees \
             (events and three indexes) and the header, and the request crosses to the writer thread and back"
        )
    });
    Ok(())
}

/// `concurrent_vs_sqlite`: 16 producers, each appending one event at a time and awaiting its
/// ack, against the large store and against the baseline behind a mutex (SQLite serializes
/// writers whatever the setup; one shared connection spares it the busy-wait).
pub(crate) fn concurrent(
    b: &mut Bench,
    store: &EventStore,
    sqlite: &mut SqliteLog,
) -> Result<(), BenchError> {
    let (producers, each, rounds) = (b.sizes.producers, b.sizes.appends_per_producer, b.sizes.rounds);
    b.progress
        .say(format!("concurrent_vs_sqlite: {producers} producers × {each} appends, {rounds} rounds each"));
    let mut workload = Workload::new(0x5EED_0005);
    let threads: Vec<ThreadId> = (0..producers).map(|_| ThreadId::new()).collect();
    for t in &threads {
        let stream = StreamId::Thread(*t);
        store.append_blocking(AppendRequest::new(
            stream,
            ExpectedVersion::Any,
            vec![workload.create_thread(*t).event],
        ))?;
        sqlite.append(stream, workload.create_thread(*t).event)?;
    }
    let sqlite = Mutex::new(sqlite);
    let coder_append = |stream: StreamId, event: NewEvent| -> Result<(), BenchError> {
        store.append_blocking(AppendRequest::new(stream, ExpectedVersion::Any, vec![event]))?;
        Ok(())
    };
    let sqlite_append = |stream: StreamId, event: NewEvent| -> Result<(), BenchError> {
        sqlite.lock().unwrap_or_else(|e| e.into_inner()).append(stream, event)?;
        Ok(())
    };
    let (mut coder, mut baseline, mut coder_acks, mut sqlite_acks) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        for side in [round % 2, 1 - round % 2] {
            let batches: Vec<Vec<NewEvent>> = threads
                .iter()
                .map(|t| (0..each).map(|_| workload.user_message(*t).event).collect())
                .collect();
            let (rate, acks) = if side == 0 {
                produce(&threads, batches, &coder_append)?
            } else {
                produce(&threads, batches, &sqlite_append)?
            };
            if side == 0 {
                coder.push(rate);
                coder_acks.extend(acks);
            } else {
                baseline.push(rate);
                sqlite_acks.extend(acks);
            }
        }
    }
    let (coder, baseline) = (median(&coder), median(&baseline));
    let (coder_ack, sqlite_ack) = (median(&coder_acks), median(&sqlite_acks));
    // SQLite commits one append at a time, back to back: its rate is one over its commit time.
    // Ten times that rate needs a group commit of all the producers in a tenth of their count.
    let sqlite_commit_us = 1e6 / baseline;
    let needed_us = sqlite_commit_us * producers as f64 / 10.0;
    let single_us = b.report.details.get("append_p50_us").copied().unwrap_or(f64::NAN);
    let r = &mut b.report;
    r.detail("concurrent_coder_events_per_s", coder);
    r.detail("concurrent_sqlite_events_per_s", baseline);
    r.detail("concurrent_coder_ack_p50_us", coder_ack);
    r.detail("concurrent_coder_ack_p90_us", percentile(&coder_acks, 0.9));
    r.detail("concurrent_sqlite_ack_p50_us", sqlite_ack);
    r.detail("concurrent_sqlite_ack_p90_us", percentile(&sqlite_acks, 0.9));
    r.detail("concurrent_sqlite_commit_us", sqlite_commit_us);
    r.figure("concurrent_vs_sqlite", coder / baseline, || {
        format!(
            "SQLite commits back to back every {sqlite_commit_us:.0} µs ({baseline:.0} events/s); \
             Coder acknowledges {coder:.0} events/s, each producer waiting {coder_ack:.0} µs at p50. Ten \
             times SQLite needs a group commit of all {producers} appends in {needed_us:.0} µs; a \
             single-event commit takes {single_us:.0} µs at p50 here"
        )
    });
    Ok(())
}

/// Runs one producer thread per batch, all released together; returns events/s over the
/// whole round and every append's ack latency in µs.
fn produce(
    threads: &[ThreadId],
    batches: Vec<Vec<NewEvent>>,
    append: &(dyn Fn(StreamId, NewEvent) -> Result<(), BenchError> + Sync),
) -> Result<(f64, Vec<f64>), BenchError> {
    let total: usize = batches.iter().map(Vec::len).sum();
    let start_line = Barrier::new(threads.len() + 1);
    let (acks, elapsed) = std::thread::scope(|scope| {
        let handles: Vec<_> = threads
            .iter()
            .zip(batches)
            .map(|(thread, events)| {
                let start_line = &start_line;
                scope.spawn(move || -> Result<Vec<f64>, BenchError> {
                    let stream = StreamId::Thread(*thread);
                    let mut acks = Vec::with_capacity(events.len());
                    start_line.wait();
                    for event in events {
                        let (result, took) = timed(|| append(stream, event));
                        result?;
                        acks.push(us(took));
                    }
                    Ok(acks)
                })
            })
            .collect();
        start_line.wait();
        let start = Instant::now();
        let acks: Vec<_> =
            handles.into_iter().map(|h| h.join().expect("a producer thread panicked")).collect();
        (acks, start.elapsed())
    });
    let mut all = Vec::with_capacity(total);
    for producer in acks {
        all.extend(producer?);
    }
    Ok((total as f64 / elapsed.as_secs_f64(), all))
}
