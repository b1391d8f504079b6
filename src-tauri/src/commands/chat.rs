//! One thread's chat: pages of entries for the virtualized list (now or at a past event), the
//! live stream, sending and deleting messages.

use std::sync::{Arc, Mutex};

use coder_domain::{ChatEntry, ChatView, Command, MessageId, RunId, ThreadId};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::error::IpcError;
use crate::state::AppState;
use crate::stream::{StreamBatch, Streams};

/// Entries `start..start + entries.len()` of a chat of `total`, and the message being streamed,
/// as of event `sequence`: view changes up to it are already in the page.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ChatPage {
    pub sequence: u64,
    pub total: u32,
    pub start: u32,
    pub entries: Vec<ChatEntry>,
    pub streaming: Option<StreamingText>,
}

/// The message being streamed and its text so far.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StreamingText {
    pub message_id: MessageId,
    pub text: String,
}

fn page(view: &ChatView, sequence: u64, start: u32, count: u32) -> ChatPage {
    let entries = view.visible_entries(start as usize, count as usize).to_vec();
    ChatPage {
        sequence,
        total: u32::try_from(view.entries.len()).unwrap_or(u32::MAX),
        start,
        entries,
        streaming: view
            .streaming_message
            .as_ref()
            .map(|(message_id, text)| StreamingText { message_id: *message_id, text: text.clone() }),
    }
}

/// A page of the chat now. Waits for the engine to be ready and may read the store, so it runs
/// off the main thread.
#[tauri::command]
pub async fn chat_page(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    start: u32,
    count: u32,
) -> Result<ChatPage, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        Ok(engine.with_chat_applied(thread_id, |view, applied| page(view, applied, start, count))?)
    })
    .await
}

/// The chat as it was right after event `sequence` (time travel). The past view last asked for is
/// kept, so scrolling it fetches pages without rebuilding it each time.
#[tauri::command]
pub async fn chat_page_at(
    state: State<'_, AppState>,
    past: State<'_, PastView>,
    thread_id: ThreadId,
    sequence: u64,
    start: u32,
    count: u32,
) -> Result<ChatPage, IpcError> {
    let kept = past.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let view = match kept {
        Some((thread, at, view)) if thread == thread_id && at == sequence => view,
        _ => {
            let engine = state.engine.clone();
            let view = tauri::async_runtime::spawn_blocking(move || engine.chat_view_at(thread_id, sequence))
                .await
                .map_err(IpcError::internal)??;
            let view = Arc::new(view);
            *past.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((thread_id, sequence, view.clone()));
            view
        }
    };
    Ok(page(&view, sequence, start, count))
}

/// The past view last shown: a thread as of one event.
#[derive(Default)]
pub struct PastView(Mutex<Option<(ThreadId, u64, Arc<ChatView>)>>);

#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    text: String,
) -> Result<RunId, IpcError> {
    Ok(state.agent().send_message(thread_id, &text).await?)
}

#[tauri::command]
pub async fn delete_message(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    message_id: MessageId,
) -> Result<(), IpcError> {
    state.engine.dispatch(Command::DeleteMessage { thread_id, message_id }).await?;
    Ok(())
}

/// Starts streaming the thread's live text and tool output to `channel`; returns the stream id
/// for `close_stream`.
#[tauri::command]
pub fn open_stream(
    state: State<'_, AppState>,
    streams: State<'_, Streams>,
    thread_id: ThreadId,
    channel: Channel<StreamBatch>,
) -> u32 {
    streams.open(&state, thread_id, channel)
}

#[tauri::command]
pub fn close_stream(streams: State<'_, Streams>, id: u32) {
    streams.close(id);
}
