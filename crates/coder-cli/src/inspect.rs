//! `stats`, `threads` and `show`.

use std::path::Path;

use coder_domain::{ChatEntry, ChatView, Role, ThreadFilter, ThreadId, ThreadSummary, ToolStatus};
use coder_engine::Engine;

use crate::open;
use crate::Failure;

pub fn stats(data_dir: &Path, json: bool) -> Result<(), Failure> {
    let store = open::existing_store(data_dir)?;
    let stats = store.stats()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
        return Ok(());
    }
    println!("store          {}", store.path().display());
    println!("events         {}", stats.events);
    println!("last sequence  {}", stats.last_sequence);
    println!("threads        {}", stats.threads);
    println!("runs           {}", stats.runs);
    println!("projects       {}", stats.projects);
    println!("blobs          {}", stats.blobs);
    println!("snapshots      {}", stats.snapshots);
    println!("bytes on disk  {}", stats.bytes_on_disk);
    println!("format         {}", stats.format_version);
    Ok(())
}

pub fn threads(data_dir: &Path, json: bool, archived: bool, search: Option<&str>) -> Result<(), Failure> {
    let engine = open::engine_for_reading(data_dir)?;
    let filter = ThreadFilter { archived, project_id: None, query: search.map(str::to_owned) };
    let list = engine.threads(&filter);
    if json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if list.is_empty() {
        println!("no threads");
    }
    for t in &list {
        println!(
            "{}  {:<40}  {:>5} messages  {:>3} unread  {}",
            t.id,
            t.title,
            t.message_count,
            t.unread_count,
            t.last_updated.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

pub fn show(data_dir: &Path, json: bool, thread: &str, at: Option<u64>) -> Result<(), Failure> {
    let engine = open::engine_for_reading(data_dir)?;
    let summary = resolve(&engine, thread)?;
    let view = match at {
        Some(sequence) => engine.chat_view_at(summary.id, sequence)?,
        None => engine.chat_view(summary.id)?,
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&view)?);
        return Ok(());
    }
    match at {
        Some(sequence) => println!("# {} (as it was right after event {sequence})", summary.title),
        None => println!("# {}", summary.title),
    }
    print_chat(&view);
    Ok(())
}

/// The thread whose id is `text` or starts with it.
fn resolve(engine: &Engine, text: &str) -> Result<ThreadSummary, Failure> {
    if let Ok(id) = ThreadId::parse(text) {
        return engine.thread(id).ok_or_else(|| Failure::new(format!("no thread {id}")));
    }
    let mut all = engine.threads(&ThreadFilter::default());
    all.extend(engine.threads(&ThreadFilter { archived: true, ..Default::default() }));
    let matches: Vec<_> = all.into_iter().filter(|t| t.id.to_string().starts_with(text)).collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().expect("one match")),
        0 => Err(Failure::new(format!("no thread id starts with {text:?}"))),
        n => Err(Failure::new(format!("{n} threads start with {text:?}; give more of the id"))),
    }
}

fn print_chat(view: &ChatView) {
    for entry in &view.entries {
        match entry {
            ChatEntry::Message(m) => {
                let who = match m.role {
                    Role::User => "you",
                    Role::Assistant => "assistant",
                    Role::System => "system",
                };
                let text = view.message_text(m.id).unwrap_or_default();
                let note = if m.streaming {
                    " (streaming…)"
                } else if m.interrupted {
                    " (interrupted)"
                } else {
                    ""
                };
                println!("\n[{who}]{note}\n{text}");
            }
            ChatEntry::ToolUse(t) => {
                let status = match t.status {
                    ToolStatus::Pending if t.awaiting_approval => "waiting for approval",
                    ToolStatus::Pending => "pending",
                    ToolStatus::Running => "running",
                    ToolStatus::Success => "done",
                    ToolStatus::Failed => "failed",
                    ToolStatus::Cancelled => "cancelled",
                };
                let duration = t.duration_ms.map(|d| format!(", {d} ms")).unwrap_or_default();
                println!("\n  ⚙ {} {} — {status}{duration}", t.tool_name, t.input_summary);
                if let Some(out) = t.output_summary.as_ref().or(t.error.as_ref()) {
                    println!("    → {out}");
                }
            }
        }
    }
}
