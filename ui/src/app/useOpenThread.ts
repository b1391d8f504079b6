import { useCallback, useEffect, useState } from "react";

import type { Backend } from "../backend";
import type { ThreadSummary } from "../shared/types";

/**
 * The open thread, the run chosen in its details and the moment shown (`at`, null for now).
 * The thread open when the app last closed opens again, unless one was chosen first; whatever is
 * open is remembered for the next start, and marked read while it has unread entries.
 */
export function useOpenThread(backend: Backend, threads: ThreadSummary[]) {
  const [selected, setSelected] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [at, setAt] = useState<number | null>(null);

  useEffect(() => {
    let cancelled = false;
    backend.lastOpenThread().then(
      (id) => {
        if (!cancelled && id) setSelected((current) => current ?? id);
      },
      () => {},
    );
    return () => {
      cancelled = true;
    };
  }, [backend]);

  useEffect(() => {
    if (selected) backend.rememberOpenThread(selected).catch(() => {});
  }, [backend, selected]);

  /** Opens a thread at its newest run, as it is now. */
  const select = useCallback((threadId: string) => {
    setSelected(threadId);
    setRunId(null);
    setAt(null);
  }, []);

  const thread = threads.find((t) => t.id === selected) ?? null;

  // The open thread is being read: what arrives in it is not unread.
  const unreadHere = thread !== null && thread.unread_count > 0;
  useEffect(() => {
    if (unreadHere && selected) backend.markRead(selected).catch(() => {});
  }, [backend, selected, unreadHere]);

  return { selected, thread, select, runId, setRunId, at, setAt };
}
