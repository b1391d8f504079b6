import { useMemo, useState } from "react";

import type { Backend } from "../backend";
import { useLiveQuery } from "../shared/useLiveQuery";

/** Rows of the timeline shown at once; older ones are reached through the filter or slider. */
const SHOWN = 500;

/** How long a burst of changes is gathered before the timeline is read again. */
const RELOAD_AFTER_MS = 300;

/** A correlation id, short. Ids are UUIDv7, whose first characters are a timestamp shared by
 * everything done within the same minute; the last ones are random, so they tell ids apart. */
const shortId = (id: string) => id.slice(-8);

/**
 * The thread's events in order, with their correlation (one run, or one action). Choosing a
 * correlation shows only its events; the slider shows the chat as it was at any event.
 */
export function Timeline({
  backend,
  threadId,
  at,
  onTimeTravel,
}: {
  backend: Backend;
  threadId: string;
  at: number | null;
  onTimeTravel: (sequence: number | null) => void;
}) {
  // The whole timeline is read again after a burst of changes, not on each streamed piece; while
  // the person travels back in time it stays as it is.
  const timeline = useLiveQuery(
    backend,
    () => backend.threadTimeline(threadId),
    [backend, threadId],
    (change) => change.kind === "chat" && change.thread_id === threadId && at === null,
    RELOAD_AFTER_MS,
  );
  const [correlation, setCorrelation] = useState<string | null>(null);

  const all = useMemo(() => timeline.value ?? [], [timeline.value]);
  const correlations = useMemo(() => {
    const seen = new Map<string, string>();
    for (const e of all) if (!seen.has(e.correlation_id)) seen.set(e.correlation_id, e.summary);
    return [...seen.entries()];
  }, [all]);
  const filtered = correlation ? all.filter((e) => e.correlation_id === correlation) : all;
  const shown = filtered.slice(-SHOWN);
  const position = at === null ? all.length - 1 : all.findIndex((e) => e.sequence === at);

  if (timeline.error) return <p className="error">{timeline.error}</p>;
  if (all.length === 0) return <p className="empty">Nothing has happened in this thread yet.</p>;
  return (
    <div className="timeline">
      <label className="field">
        Time travel: {at === null ? "now" : `event #${at}`}
        <input
          type="range"
          aria-label="Time travel"
          min={0}
          max={all.length - 1}
          value={position < 0 ? all.length - 1 : position}
          onChange={(e) => {
            const index = Number(e.target.value);
            onTimeTravel(index >= all.length - 1 ? null : all[index].sequence);
          }}
        />
      </label>
      {at !== null && (
        <button type="button" onClick={() => onTimeTravel(null)}>
          Back to now
        </button>
      )}
      <label className="field">
        Show
        <select
          aria-label="Filter by correlation"
          value={correlation ?? ""}
          onChange={(e) => setCorrelation(e.target.value || null)}
        >
          <option value="">All events</option>
          {correlations.map(([id, first]) => (
            <option key={id} value={id}>
              {shortId(id)} — {first}
            </option>
          ))}
        </select>
      </label>
      {filtered.length > SHOWN && (
        <p className="note">
          Showing the last {SHOWN} of {filtered.length} events.
        </p>
      )}
      <ol className="events" aria-label="Events">
        {shown.map((e) => (
          <li
            key={e.sequence}
            aria-current={e.sequence === at}
            className={e.sequence > (at ?? Infinity) ? "future" : ""}
          >
            <button
              type="button"
              className="event"
              onClick={() => onTimeTravel(e.sequence)}
              title="Show the chat as it was here"
            >
              <span className="seq">#{e.sequence}</span>
              <span className="type">{e.event_type}</span>
              <span className="summary" title={e.summary}>
                {e.summary}
              </span>
            </button>
            <button
              type="button"
              className="correlation"
              aria-label={`Only events of correlation ${shortId(e.correlation_id)}`}
              onClick={() => setCorrelation(e.correlation_id)}
            >
              {shortId(e.correlation_id)}
            </button>
          </li>
        ))}
      </ol>
    </div>
  );
}
