//! One thread's chat: pages of entries for the virtualized list (now or at a past event), the
//! live stream, sending and deleting messages, and what a message may carry: project files
//! (the `@` list) and images (stored as blobs, shown as thumbnails).

use coder_agent::attachments::{self, AttachRequest, StoredImage};
use coder_domain::{ChatEntry, ChatView, Command, ContentHash, MessageId, RunId, ThreadId};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::State;

use super::blocking;
use crate::error::{ErrorCode, IpcError};
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

/// The chat as it was right after event `sequence` (time travel). The engine keeps the past view
/// last asked for, so scrolling it fetches pages without rebuilding it each time.
#[tauri::command]
pub async fn chat_page_at(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    sequence: u64,
    start: u32,
    count: u32,
) -> Result<ChatPage, IpcError> {
    let engine = state.engine.clone();
    blocking(move || {
        let view = engine.past_chat_view(thread_id, sequence)?;
        Ok(page(&view, sequence, start, count))
    })
    .await
}

/// Sends a message with what is attached to it (files are read now, from the thread's project).
#[tauri::command]
pub async fn send_message(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    text: String,
    attachments: Option<Vec<AttachRequest>>,
) -> Result<RunId, IpcError> {
    Ok(state.agent().send_message_with(thread_id, &text, attachments.unwrap_or_default()).await?)
}

/// The files of the thread's project matching `query` for the composer's `@` list, best first;
/// `null` when the thread belongs to no project.
#[tauri::command]
pub async fn project_files(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    query: String,
) -> Result<Option<Vec<String>>, IpcError> {
    Ok(state.agent().project_files(thread_id, query).await?)
}

/// Stores an image to attach, sent as the raw request body (a `Uint8Array`); refused unless its
/// first bytes are PNG, JPEG or WebP, or when it is over the size limit.
#[tauri::command]
pub async fn attach_image(
    state: State<'_, AppState>,
    request: tauri::ipc::Request<'_>,
) -> Result<StoredImage, IpcError> {
    let bytes = match request.body() {
        tauri::ipc::InvokeBody::Raw(bytes) => bytes.clone(),
        tauri::ipc::InvokeBody::Json(_) => {
            return Err(IpcError::new(ErrorCode::InvalidInput, "send the image's bytes as the request body"))
        }
    };
    Ok(state.agent().store_image(bytes).await?)
}

/// A stored image as a `data:` URL for a thumbnail; only a PNG, JPEG or WebP image is given out.
#[tauri::command]
pub async fn image_data(state: State<'_, AppState>, blob: ContentHash) -> Result<String, IpcError> {
    let agent = state.agent();
    blocking(move || {
        let (bytes, mime_type) = agent.image(blob)?;
        Ok(format!("data:{mime_type};base64,{}", attachments::base64(&bytes)))
    })
    .await
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

/// "Summarize up to here": the model summarizes the thread through `message_id`, and later
/// model calls send the summary in place of those messages. Answers once the summary is
/// recorded, with the run that wrote it.
#[tauri::command]
pub async fn summarize_thread(
    state: State<'_, AppState>,
    thread_id: ThreadId,
    message_id: MessageId,
) -> Result<RunId, IpcError> {
    Ok(state.agent().summarize(thread_id, message_id).await?)
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
