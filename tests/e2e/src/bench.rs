//! The parts of the UI benchmark (`src/bin/ui_bench.rs` runs them in the real window): the long
//! thread's chat snapshot, a model server that streams at a fixed token rate, the in-page
//! measurements, and the statistics.
//!
//! Every measurement runs inside the page, timed with `performance.now()` and the timestamps of
//! `requestAnimationFrame`, so WebDriver's round trips are not in the figures (except the one
//! end-to-end figure that says so). Long measurements run as a job in the page
//! (`window.__benchJob`) that the harness polls twice a second, so no WebDriver script timeout
//! applies to them.
//!
//! A frame interval is the time between two consecutive `requestAnimationFrame` callbacks: one
//! refresh period when the page keeps up (16.7 ms at 60 Hz), longer when the main thread was
//! busy past the next frame's start (under Xvfb nothing waits for a vertical blank, so a late
//! frame shows as, say, 23 ms rather than 33). WebKit rounds `performance.now()` and the frame
//! timestamps to whole milliseconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use coder_agent::settings::ProviderKind;
use coder_agent::Settings;
use coder_domain::{Command, MessageId, ThreadId};
use coder_engine::Engine;
use serde_json::{json, Value};

use crate::app::App;

/// The pause between two looks at a running job.
const JOB_POLL: Duration = Duration::from_millis(500);

// ---- statistics ---------------------------------------------------------------------------

/// Durations in milliseconds, sorted once for percentiles.
#[derive(Debug, Clone, Default)]
pub struct Samples(Vec<f64>);

impl Samples {
    pub fn new(mut values: Vec<f64>) -> Self {
        values.retain(|v| v.is_finite());
        values.sort_by(f64::total_cmp);
        Self(values)
    }

    /// The values of a JSON array of numbers (others are skipped).
    pub fn from_json(value: &Value) -> Self {
        Self::new(value.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The nearest-rank percentile `p` (0..=1); NaN when there are no samples.
    pub fn percentile(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return f64::NAN;
        }
        let rank = (p * self.0.len() as f64).ceil().max(1.0) as usize;
        self.0[rank.min(self.0.len()) - 1]
    }

    pub fn median(&self) -> f64 {
        self.percentile(0.5)
    }

    pub fn max(&self) -> f64 {
        self.0.last().copied().unwrap_or(f64::NAN)
    }

    /// How many samples exceed `limit`.
    pub fn count_above(&self, limit: f64) -> usize {
        self.0.iter().filter(|v| **v > limit).count()
    }
}

// ---- the data ------------------------------------------------------------------------------

/// Gives the thread the chat snapshot it would have after use in the app: opens the engine on
/// `data_dir`, loads the chat (a full replay), adds one message and closes cleanly, which
/// snapshots the changed view. A thread that grows in the app is snapshotted every 1,000 events
/// and at a clean shutdown; one written by import has no snapshot, and its first open would
/// replay it whole.
pub fn snapshot_chat(data_dir: &Path, thread_id: ThreadId) -> Result<(), String> {
    let engine = Engine::open(data_dir).map_err(|e| format!("opening the engine: {e}"))?;
    engine.with_chat(thread_id, |_| ()).map_err(|e| format!("loading the chat: {e}"))?;
    let content = "One more thing: how long does this thread take to open?".to_owned();
    engine
        .dispatch_blocking(Command::SendMessage {
            thread_id,
            message_id: MessageId::new(),
            content,
            attachments: Vec::new(),
        })
        .map_err(|e| format!("adding a message: {e}"))?;
    engine.close();
    Ok(())
}

// ---- a model streaming at a fixed rate ----------------------------------------------------

/// An OpenAI-compatible server on loopback that answers every chat completion with the same
/// tokens, one SSE chunk per token, each sent at its time on a fixed schedule (token `i` at
/// `start + i × interval`, so a late write does not delay the ones after it). Stops when
/// dropped.
///
/// The script server of `coder_agent::testing` paces by bytes, not by tokens; a benchmark needs
/// the token rate exact.
pub struct PacedModel {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    accept: Option<JoinHandle<()>>,
}

impl PacedModel {
    pub fn start(tokens: Vec<String>, interval: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::new(tokens);
        let accept = {
            let (stop, requests) = (Arc::clone(&stop), Arc::clone(&requests));
            std::thread::spawn(move || {
                for socket in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(socket) = socket else { continue };
                    let (tokens, requests) = (Arc::clone(&tokens), Arc::clone(&requests));
                    // Write errors mean the app went away, which ends the answer either way.
                    std::thread::spawn(move || {
                        let _ = answer(socket, &tokens, interval, &requests);
                    });
                }
            })
        };
        Ok(Self { addr, stop, requests, accept: Some(accept) })
    }

    /// Settings that point the app at this server (with `OPENAI_API_KEY` set to anything).
    pub fn settings(&self) -> Settings {
        Settings {
            provider: ProviderKind::Openai,
            base_url: format!("http://{}/v1", self.addr),
            model: "bench-model".into(),
            ..Settings::default()
        }
    }

    /// Chat completions answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for PacedModel {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Reads one request and streams the tokens (close-delimited SSE), or answers 404.
fn answer(
    socket: TcpStream,
    tokens: &[String],
    interval: Duration,
    requests: &AtomicUsize,
) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    let mut reader = BufReader::new(socket.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0_usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    reader.by_ref().take(length as u64).read_to_end(&mut Vec::new())?;
    let mut socket = socket;
    if !request_line.starts_with("POST /v1/chat/completions ") {
        let body = r#"{"error":{"type":"not_found","message":"only POST /v1/chat/completions"}}"#;
        let head = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        return socket.write_all(format!("{head}{body}").as_bytes());
    }
    requests.fetch_add(1, Ordering::SeqCst);
    socket.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\
          Connection: close\r\n\r\n",
    )?;
    let start = Instant::now();
    for (i, token) in tokens.iter().enumerate() {
        let due = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        let mut delta = json!({ "content": token });
        if i == 0 {
            delta["role"] = json!("assistant");
        }
        socket.write_all(chunk(json!([{ "index": 0, "delta": delta, "finish_reason": null }])).as_bytes())?;
    }
    socket.write_all(chunk(json!([{ "index": 0, "delta": {}, "finish_reason": "stop" }])).as_bytes())?;
    let usage = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench",
        "choices": [],
        "usage": {
            "prompt_tokens": 100, "completion_tokens": tokens.len(), "total_tokens": 100 + tokens.len(),
        },
    });
    socket.write_all(format!("data: {usage}\n\ndata: [DONE]\n\n").as_bytes())?;
    socket.flush()?;
    socket.shutdown(std::net::Shutdown::Both)
}

fn chunk(choices: Value) -> String {
    let body = json!({
        "id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": "bench",
        "choices": choices,
    });
    format!("data: {body}\n\n")
}

/// `count` tokens of a plausible answer in Markdown: paragraphs of prose, a bulleted list and a
/// fenced code block, which the chat renders as it grows. One token is one word (with its
/// space or line break), as a model's deltas roughly are.
pub fn answer_tokens(count: usize) -> Vec<String> {
    const PROSE: &str = "the event store keeps every change as a record and the view folds them into \
                         entries that a virtualized list shows one row at";
    const CODE: &str =
        "```rust\n|fn |main() |{\n|    let |store |= |open(path)?;\n|    store|.append(event)?;\n|}\n|```\n\n";
    const LIST: &str = "- first |point\n|- second |point\n|- third |point\n\n";
    let words: Vec<&str> = PROSE.split(' ').collect();
    let mut tokens = Vec::with_capacity(count);
    let mut word = 0;
    while tokens.len() < count {
        let block = match tokens.len() % 300 {
            150 => CODE,
            250 => LIST,
            _ => "",
        };
        if !block.is_empty() {
            tokens.extend(block.split('|').map(str::to_owned));
            continue;
        }
        let text = words[word % words.len()];
        word += 1;
        let end = match word % 60 {
            0 => ".\n\n",
            w if w % 12 == 0 => ". ",
            _ => " ",
        };
        tokens.push(format!("{text}{end}"));
    }
    tokens.truncate(count);
    tokens
}

// ---- jobs in the page ---------------------------------------------------------------------

/// Runs `body` (the inside of an `async` function that sees the arguments as `args` and
/// returns the result) as a job in the page, and waits up to `limit` for its result.
pub fn run_job(app: &App, body: &str, args: Vec<Value>, limit: Duration) -> Value {
    start_job(app, body, args);
    wait_job(app, limit)
}

/// Starts `body` as the page's job (see `run_job`) and returns at once.
pub fn start_job(app: &App, body: &str, args: Vec<Value>) {
    let script = format!(
        "const args = arguments;
         window.__benchJob = {{ done: false }};
         (async () => {{ {body} }})().then(
           (result) => {{ window.__benchJob = {{ done: true, result }}; }},
           (error) => {{
             window.__benchJob = {{ done: true, error: String((error && error.stack) || error) }};
           }});
         return true;"
    );
    app.execute(&script, args);
}

/// Waits up to `limit` for the result of the page's job; panics with the page's error if it
/// failed.
pub fn wait_job(app: &App, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        std::thread::sleep(JOB_POLL);
        let state = app.execute(
            "return window.__benchJob && window.__benchJob.done ? window.__benchJob : null;",
            vec![],
        );
        if let Some(error) = state.get("error").and_then(Value::as_str) {
            panic!("the benchmark job failed in the page: {error}");
        }
        if state.get("done").and_then(Value::as_bool) == Some(true) {
            return state["result"].clone();
        }
        assert!(Instant::now() < deadline, "the benchmark job did not finish within {limit:?}");
    }
}

/// Installs the first-rows probe before a thread is opened: it notes the click, the moment the
/// chat's DOM first holds a loaded row with an index of at least `min_index` (a row of the long
/// thread, not of the one shown before), the frame that renders it and the first task after that
/// frame (the rows painted). Clears the chat's performance marks so the next pair is this open's.
pub const FIRST_ROWS_PROBE: &str = r#"
const [minIndex] = arguments;
performance.clearMarks("chat-open-start");
performance.clearMarks("chat-first-rows");
const probe = (window.__firstRows =
  { click: null, commit: null, frame: null, painted: null, visible: false });
document.addEventListener("click", () => { probe.click = performance.now(); }, { capture: true, once: true });
const loadedRows = () =>
  [...document.querySelectorAll("div.entries .entry[data-index]")].filter(
    (row) => Number(row.dataset.index) >= minIndex && !row.querySelector(".row-placeholder"));
const observer = new MutationObserver(() => {
  if (probe.commit !== null || loadedRows().length === 0) return;
  probe.commit = performance.now();
  observer.disconnect();
  requestAnimationFrame(() => {
    probe.frame = performance.now();
    const view = document.querySelector("div.entries").getBoundingClientRect();
    probe.visible = loadedRows().some((row) => {
      const rect = row.getBoundingClientRect();
      return rect.height > 0 && rect.bottom > view.top && rect.top < view.bottom;
    });
    setTimeout(() => { probe.painted = performance.now(); }, 0);
  });
});
observer.observe(document.body, { childList: true, subtree: true });
return true;
"#;

/// Waits (async script) until the probe saw the rows painted; returns the probe and the
/// `performance.measure` between the chat's two marks.
pub const FIRST_ROWS_RESULT: &str = r#"
const done = arguments[arguments.length - 1];
const check = () => {
  const probe = window.__firstRows;
  if (!probe || probe.painted === null) return requestAnimationFrame(check);
  let marks = null;
  try {
    marks = performance.measure("chat-open", "chat-open-start", "chat-first-rows").duration;
  } catch (e) {}
  const at = (name) => performance.getEntriesByName(name, "mark").at(-1)?.startTime ?? null;
  done({ ...probe, marks, openStart: at("chat-open-start"), firstRows: at("chat-first-rows") });
};
check();
"#;

/// Scrolls the chat through its whole height: `segments` jumps to evenly spaced heights, each
/// followed by `slow` frames of `slowPx` per frame (a wheel scroll) and `fast` frames of
/// `fastPx` (a fling); then a jump to the end and the same upwards. Returns every frame
/// interval with the kind of step before it, the most rows seen in the DOM, and how many frames
/// showed an unloaded row (a placeholder) inside the view.
pub const SCROLL_JOB: &str = r#"
const [segments, slow, slowPx, fast, fastPx] = args;
const el = document.querySelector("div.entries");
if (!el) throw new Error("no chat list (div.entries) on the page");
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
const plan = [];
const run = (kind, frames, by) => { for (let i = 0; i < frames; i++) plan.push({ kind, by }); };
for (let s = 0; s < segments; s++) {
  plan.push({ kind: "jump", to: s / segments });
  run("slow", slow, slowPx);
  run("fast", fast, fastPx);
}
plan.push({ kind: "jump", to: 1 });
run("slow", slow, -slowPx);
run("fast", fast, -fastPx);
const out = { intervals: [], kinds: [], scriptMs: [], maxEntries: 0, blankFrames: 0,
              scrollHeight: el.scrollHeight, minScrollTop: Infinity, maxScrollTop: 0,
              clientHeight: el.clientHeight };
// The scroll handlers' time (the virtualizer and React rendering rows): from the scroll event,
// caught first on the way down, to the frame callback that follows.
let scrolledAt = null;
const onScroll = () => { if (scrolledAt === null) scrolledAt = performance.now(); };
document.addEventListener("scroll", onScroll, true);
let last = await frame();
for (const step of plan) {
  if (step.kind === "jump") el.scrollTop = step.to * (el.scrollHeight - el.clientHeight);
  else el.scrollTop += step.by;
  scrolledAt = null;
  const ts = await frame();
  if (scrolledAt !== null) out.scriptMs.push(performance.now() - scrolledAt);
  out.intervals.push(ts - last);
  out.kinds.push(step.kind);
  last = ts;
  out.minScrollTop = Math.min(out.minScrollTop, el.scrollTop);
  out.maxScrollTop = Math.max(out.maxScrollTop, el.scrollTop);
  out.maxEntries = Math.max(out.maxEntries, el.querySelectorAll(".entry").length);
  const view = el.getBoundingClientRect();
  for (const p of el.querySelectorAll(".row-placeholder")) {
    const r = p.getBoundingClientRect();
    if (r.bottom > view.top && r.top < view.bottom) { out.blankFrames++; break; }
  }
}
document.removeEventListener("scroll", onScroll, true);
out.scrollHeightAfter = el.scrollHeight;
return out;
"#;

/// The control for scrolling: the rows the chat shows, copied (without React, the virtualizer or
/// any script) about 200 times into a plain scroller of the same size in place of the chat, and
/// scrolled `frames` frames by `px` per frame — what the browser alone costs per frame here.
/// The chat comes back afterwards.
pub const STATIC_SCROLL_JOB: &str = r#"
const [frames, px] = args;
const list = document.querySelector("div.entries");
const rows = [...list.querySelectorAll(".entry")].filter((row) => !row.querySelector(".row-placeholder"));
if (rows.length === 0) throw new Error("no rows to copy");
const copy = document.createElement("div");
copy.className = "entries";
while (copy.childElementCount < 200) for (const row of rows) copy.appendChild(row.cloneNode(true));
list.style.display = "none";
list.parentNode.insertBefore(copy, list);
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
const intervals = [];
try {
  await frame();
  let last = await frame();
  for (let i = 0; i < frames; i++) {
    copy.scrollTop += px;
    const ts = await frame();
    intervals.push(ts - last);
    last = ts;
  }
} finally {
  copy.remove();
  list.style.display = "";
}
return { intervals, height: copy.scrollHeight };
"#;

/// The control for streaming: plain text growing in a plain element in place of the chat, by
/// `perFlush` tokens every `flushMs` (what the app's stream delivers at 100 tokens per second),
/// kept scrolled to its end, for `ms` — what the browser alone costs per frame for text that
/// grows at that pace.
pub const PLAIN_STREAM_JOB: &str = r#"
const [ms, flushMs, perFlush] = args;
const list = document.querySelector("div.entries");
const copy = document.createElement("div");
copy.className = "entries";
const text = document.createElement("p");
copy.appendChild(text);
list.style.display = "none";
list.parentNode.insertBefore(copy, list);
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
const intervals = [];
let words = 0;
const timer = setInterval(() => {
  for (let i = 0; i < perFlush; i++) text.textContent += `word${words++ % 7 === 6 ? ".\n" : " "}`;
  copy.scrollTop = copy.scrollHeight;
}, flushMs);
try {
  let last = await frame();
  const start = last;
  while (last - start < ms) {
    const ts = await frame();
    intervals.push(ts - last);
    last = ts;
  }
} finally {
  clearInterval(timer);
  copy.remove();
  list.style.display = "";
}
return { intervals, words };
"#;

/// Frame intervals while a message streams: from the first frame that shows a streaming
/// message to the first that shows none, or `maxMs`.
pub const STREAM_JOB: &str = r#"
const [maxMs] = args;
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
const selector = "section[aria-label='Chat'] article.message[data-streaming='true']";
const out = { intervals: [], times: [], startedAt: null, endedAt: null, timedOut: false, chars: 0 };
const t0 = performance.now();
let last = null;
for (;;) {
  const ts = await frame();
  const streaming = document.querySelector(selector);
  if (streaming) {
    if (last !== null) { out.intervals.push(ts - last); out.times.push(ts); }
    if (out.startedAt === null) out.startedAt = ts;
    last = ts;
  } else if (out.startedAt !== null) {
    out.endedAt = ts;
    break;
  }
  if (ts - t0 > maxMs) { out.timedOut = true; break; }
}
const messages = document.querySelectorAll("section[aria-label='Chat'] article.message");
out.chars = messages.length ? messages[messages.length - 1].textContent.length : 0;
return out;
"#;

/// `calls` awaited `chat_page` round trips of `count` entries at random starts (a fixed
/// pseudo-random sequence) in the thread, after a few to warm up.
pub const FETCH_JOB: &str = r#"
const [threadId, count, calls] = args;
const invoke = window.__TAURI_INTERNALS__.invoke;
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const head = await invoke("chat_page", { threadId, start: 0, count: 0 });
const starts = () => Math.floor(random() * Math.max(1, head.total - count));
for (let i = 0; i < 5; i++) await invoke("chat_page", { threadId, start: starts(), count });
const times = [];
let entries = 0;
let bytes = 0;
const begun = performance.now();
for (let i = 0; i < calls; i++) {
  const start = starts();
  const t = performance.now();
  const page = await invoke("chat_page", { threadId, start, count });
  times.push(performance.now() - t);
  entries += page.entries.length;
  if (i < 10) bytes += JSON.stringify(page).length;
}
const mean = (performance.now() - begun) / calls;
return { times, mean, total: head.total, entries, bytesPerPage: bytes / Math.min(10, calls) };
"#;

/// One awaited `thread_runs` of the thread: what the details panel's Run tab loads when the
/// thread opens.
pub const RUNS_JOB: &str = r#"
const [threadId] = args;
const t = performance.now();
const runs = await window.__TAURI_INTERNALS__.invoke("thread_runs", { threadId });
const ms = performance.now() - t;
return { ms, count: runs.length, bytes: JSON.stringify(runs).length };
"#;

/// Frame intervals of the page left alone for `frames` frames: the refresh rate it runs at.
pub const IDLE_JOB: &str = r#"
const [frames] = args;
const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
const intervals = [];
let last = await frame();
for (let i = 0; i < frames; i++) {
  const ts = await frame();
  intervals.push(ts - last);
  last = ts;
}
return { intervals, width: window.innerWidth, height: window.innerHeight, dpr: window.devicePixelRatio };
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples = Samples::new((1..=100).map(f64::from).collect());
        assert_eq!(samples.median(), 50.0);
        assert_eq!(samples.percentile(0.95), 95.0);
        assert_eq!(samples.max(), 100.0);
        assert!(Samples::default().median().is_nan(), "no samples, no median");
    }

    #[test]
    fn the_answer_has_exactly_the_tokens_asked_for() {
        let tokens = answer_tokens(1_000);
        assert_eq!(tokens.len(), 1_000);
        assert!(tokens.iter().any(|t| t.starts_with("```")), "it holds a code block to render");
    }
}
