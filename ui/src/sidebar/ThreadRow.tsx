import { useState } from "react";

import type { ThreadSummary } from "../shared/types";

/** One thread in the sidebar: open it, rename it in place, archive or unarchive it. */
export function ThreadRow({
  thread,
  selected,
  onSelect,
  onRename,
  onArchive,
}: {
  thread: ThreadSummary;
  selected: boolean;
  onSelect: () => void;
  onRename: (title: string) => void;
  onArchive: (archived: boolean) => void;
}) {
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(thread.title);
  if (editing) {
    return (
      <li className="thread-row" aria-current={selected}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            setEditing(false);
            if (title.trim() && title !== thread.title) onRename(title.trim());
          }}
        >
          <input
            autoFocus
            aria-label="Thread title"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            onBlur={() => setEditing(false)}
            onKeyDown={(e) => e.key === "Escape" && setEditing(false)}
          />
        </form>
      </li>
    );
  }
  return (
    <li className="thread-row" aria-current={selected} data-thread-id={thread.id}>
      <button type="button" className="thread-open" onClick={onSelect}>
        <span className="title">{thread.title}</span>
        {/* The open thread is being read: a count that arrives before its mark-read does not show. */}
        {thread.unread_count > 0 && !selected && (
          <span className="unread" aria-label={`${thread.unread_count} unread`}>
            {thread.unread_count}
          </span>
        )}
        <span className="preview">{plain(thread.last_message_preview) || "No messages yet"}</span>
      </button>
      <span className="row-actions">
        <button
          type="button"
          className="quiet"
          aria-label={`Rename ${thread.title}`}
          title="Rename"
          onClick={() => {
            setTitle(thread.title);
            setEditing(true);
          }}
        >
          ✎
        </button>
        <button
          type="button"
          className="quiet"
          aria-label={`${thread.archived ? "Unarchive" : "Archive"} ${thread.title}`}
          title={thread.archived ? "Unarchive" : "Archive"}
          onClick={() => onArchive(!thread.archived)}
        >
          {thread.archived ? "⇡" : "⇣"}
        </button>
      </span>
    </li>
  );
}

/** A Markdown preview as plain words: emphasis, code ticks, headings and link targets dropped. */
export function plain(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[*_`~]+/g, "")
    .replace(/^\s*(#{1,6}|>|[-+] )\s*/gm, "")
    .trim();
}
