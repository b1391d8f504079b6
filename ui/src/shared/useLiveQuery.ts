import { useEffect, useRef, type DependencyList } from "react";

import type { Backend } from "../backend";
import { coalesce } from "./coalesce";
import type { ViewChange } from "./types";
import { useAsync } from "./useAsync";

/** What a live query listens to: the backend's view changes and resets. */
export type ViewEvents = Pick<Backend, "onViewChange" | "onViewReset">;

/**
 * A value read from the backend that stays current: loaded now, when `deps` change, and again
 * when a view change that `affects` it arrives or the window was reset. A burst of changes
 * reloads once, `delayMs` after its first change (0: on the next frame); an answer older than a
 * newer load is ignored (`useAsync`).
 *
 * The backend sends a view change for every event it records, so after a command of the person's
 * the view follows by that change alone: reloading when the command resolves as well would read
 * everything twice.
 *
 * `affects` may be a new closure every render; the latest one decides.
 */
export function useLiveQuery<T>(
  backend: ViewEvents,
  load: () => Promise<T>,
  deps: DependencyList,
  affects: (change: ViewChange) => boolean,
  delayMs = 0,
) {
  const query = useAsync(load, deps);
  const { reload } = query;
  const latest = useRef(affects);
  useEffect(() => {
    latest.current = affects;
  });

  useEffect(() => {
    const changed = coalesce(reload, delayMs);
    const stopChanges = backend.onViewChange((change) => {
      if (latest.current(change)) changed.schedule();
    });
    const stopReset = backend.onViewReset(changed.schedule);
    return () => {
      stopChanges();
      stopReset();
      changed.cancel();
    };
  }, [backend, reload, delayMs]);

  return query;
}
