//! Streamed text and command output for one open thread, over one `Channel` per thread.
//!
//! Deltas are gathered and sent at most every `FLUSH_EVERY`, consecutive pieces of one message
//! joined, so a fast model never floods the webview: at 100 tokens per second the window gets
//! about 30 small batches a second instead of 100 messages.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use coder_agent::LiveEvent;
use coder_domain::{MessageId, RunId, ThreadId, ToolUseId};
use serde::Serialize;
use tauri::ipc::Channel;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

const FLUSH_EVERY: Duration = Duration::from_millis(33);

/// What reached an open thread since the last batch.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StreamBatch {
    pub text: Vec<TextPiece>,
    pub tool_output: Vec<ToolLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct TextPiece {
    pub message_id: MessageId,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ToolLine {
    pub tool_use_id: ToolUseId,
    pub line: String,
}

impl StreamBatch {
    fn is_empty(&self) -> bool {
        self.text.is_empty() && self.tool_output.is_empty()
    }

    fn push_text(&mut self, message_id: MessageId, text: &str) {
        match self.text.last_mut() {
            Some(last) if last.message_id == message_id => last.text.push_str(text),
            _ => self.text.push(TextPiece { message_id, text: text.to_owned() }),
        }
    }
}

/// The open streams, by the id the window holds to close one.
#[derive(Default)]
pub struct Streams {
    open: Mutex<HashMap<u32, CancellationToken>>,
    next: Mutex<u32>,
}

impl Streams {
    /// Starts sending `thread`'s live output to `channel`; returns the stream's id.
    pub fn open(&self, state: &AppState, thread: ThreadId, channel: Channel<StreamBatch>) -> u32 {
        let id = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            *next = next.wrapping_add(1);
            *next
        };
        let stop = CancellationToken::new();
        self.open.lock().unwrap_or_else(|e| e.into_inner()).insert(id, stop.clone());
        let live = state.live();
        let engine = state.engine.clone();
        let run_thread = move |run: RunId| engine.with_state(|s| s.runs.get(&run).map(|r| r.thread_id));
        tauri::async_runtime::spawn(forward(thread, live, channel, stop, run_thread));
        id
    }

    /// Stops a stream; closing one that is gone is not an error.
    pub fn close(&self, id: u32) {
        if let Some(stop) = self.open.lock().unwrap_or_else(|e| e.into_inner()).remove(&id) {
            stop.cancel();
        }
    }
}

async fn forward(
    thread: ThreadId,
    mut live: broadcast::Receiver<LiveEvent>,
    channel: Channel<StreamBatch>,
    stop: CancellationToken,
    run_thread: impl Fn(RunId) -> Option<ThreadId>,
) {
    let mut batch = StreamBatch::default();
    let mut runs: HashMap<RunId, bool> = HashMap::new();
    let mut tick = tokio::time::interval(FLUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {
                if batch.is_empty() {
                    continue;
                }
                if let Err(e) = channel.send(std::mem::take(&mut batch)) {
                    // The window closed the thread or reloaded: nobody reads this stream.
                    tracing::debug!(%thread, error = %e, "thread stream closed");
                    return;
                }
            }
            received = live.recv() => match received {
                Ok(LiveEvent::TextDelta { thread_id, message_id, text }) if thread_id == thread => {
                    batch.push_text(message_id, &text);
                }
                Ok(LiveEvent::ToolOutput { run_id, tool_use_id, line }) => {
                    let ours = *runs.entry(run_id).or_insert_with(|| run_thread(run_id) == Some(thread));
                    if ours {
                        batch.tool_output.push(ToolLine { tool_use_id, line });
                    }
                }
                Ok(_) => {}
                // The window reloads the thread from the log on the next view change; text
                // stored there is never lost, only this preview of it.
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    tracing::warn!(%thread, skipped, "live text skipped for an open thread");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_pieces_of_one_message_are_joined() {
        let (a, b) = (MessageId::new(), MessageId::new());
        let mut batch = StreamBatch::default();
        batch.push_text(a, "Hel");
        batch.push_text(a, "lo");
        batch.push_text(b, "!");
        batch.push_text(a, "?");
        let texts: Vec<_> = batch.text.iter().map(|p| (p.message_id, p.text.as_str())).collect();
        assert_eq!(texts, vec![(a, "Hello"), (b, "!"), (a, "?")], "order is kept across messages");
    }
}
