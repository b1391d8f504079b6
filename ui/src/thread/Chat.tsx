import { useEffect, useRef, useState } from "react";

import type { Backend } from "../backend";
import { describe } from "../shared/errors";
import type { ChatEntry, ChatPage, IpcError } from "../shared/types";

/// One thread's chat: its entries, the message being streamed, and the composer. Enter sends,
/// Shift+Enter starts a new line. Model output is shown as plain text, never as HTML.
export function Chat({ backend, threadId }: { backend: Backend; threadId: string }) {
  const [page, setPage] = useState<ChatPage | null>(null);
  const [live, setLive] = useState<Record<string, string>>({});
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const opened = useRef(false);

  useEffect(() => {
    let current = true;
    // What the person sees in an open thread is read: its unread count clears.
    const reload = () => {
      backend.markRead(threadId).catch(() => {});
      return backend.chatPage(threadId, 0, 100_000).then(
        (p) => current && setPage(p),
        (e: IpcError) => current && setError(describe(e)),
      );
    };
    reload();
    const stopChanges = backend.onViewChange((change) => {
      if (change.thread_id === threadId) reload();
    });
    const stopDeltas = backend.onTextDelta((delta) => {
      if (delta.thread_id === threadId) {
        setLive((l) => ({ ...l, [delta.message_id]: (l[delta.message_id] ?? "") + delta.text }));
      }
    });
    return () => {
      current = false;
      stopChanges();
      stopDeltas();
    };
  }, [backend, threadId]);

  // Follow the newest entry, unless the person has scrolled up to read.
  useEffect(() => {
    const el = list.current;
    if (!el || !page) return;
    if (!opened.current || el.scrollHeight - el.scrollTop - el.clientHeight < 120) {
      el.scrollTop = el.scrollHeight;
    }
    opened.current = true;
  }, [page, live]);

  const send = () => {
    const text = draft.trim();
    if (!text) return;
    setDraft("");
    setError(null);
    backend.sendMessage(threadId, text).catch((e: IpcError) => setError(describe(e)));
  };

  return (
    <section className="thread" aria-label="Chat">
      <ol className="entries" ref={list}>
        {page?.entries.map((entry) => (
          <Entry key={entry.id} entry={entry} text={textOf(entry, page, live)} />
        ))}
      </ol>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <textarea
        aria-label="Message"
        placeholder="Ask about your project — Enter sends, Shift+Enter for a new line"
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey) {
            e.preventDefault();
            send();
          }
        }}
      />
    </section>
  );
}

/// The text a message shows now: streamed so far while it streams, else its content.
function textOf(entry: ChatEntry, page: ChatPage, live: Record<string, string>): string {
  if (entry.kind !== "Message") return "";
  if (!entry.streaming) return entry.content;
  const stored = page.streaming && page.streaming[0] === entry.id ? page.streaming[1] : "";
  const streamed = live[entry.id] ?? "";
  return streamed.length > stored.length ? streamed : stored;
}

function Entry({ entry, text }: { entry: ChatEntry; text: string }) {
  if (entry.kind === "ToolUse") {
    return (
      <li className={`tool ${entry.status.toLowerCase()}`}>
        <strong>{entry.tool_name}</strong> {entry.input_summary} — {entry.status.toLowerCase()}
        {entry.output_summary && <div className="output">{entry.output_summary}</div>}
        {entry.error && <div className="output">{entry.error}</div>}
      </li>
    );
  }
  return (
    <li className={`message ${entry.role.toLowerCase()}`}>
      <div className="who">{entry.role === "User" ? "You" : entry.role === "Assistant" ? "Coder" : "System"}</div>
      <div className="text">
        {text}
        {entry.streaming && <span className="typing" aria-label="typing"> ▍</span>}
        {entry.interrupted && <em> (interrupted)</em>}
      </div>
    </li>
  );
}
