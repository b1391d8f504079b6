import type { ThreadSummary } from "../shared/types";

/// The sidebar's threads, most recently active first.
export function ThreadList({
  threads,
  selected,
  onSelect,
}: {
  threads: ThreadSummary[];
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  if (threads.length === 0) {
    return <p className="empty">No threads yet. Start one with “New thread”.</p>;
  }
  return (
    <ul className="threads" aria-label="Threads">
      {threads.map((t) => (
        <li key={t.id} aria-current={t.id === selected}>
          <button type="button" className="title" onClick={() => onSelect(t.id)}>
            {t.title}
          </button>
          {t.unread_count > 0 && (
            <span className="unread" aria-label={`${t.unread_count} unread`}>
              {t.unread_count}
            </span>
          )}
          <span className="preview">{t.last_message_preview}</span>
        </li>
      ))}
    </ul>
  );
}
