import { useState } from "react";

import type { Backend } from "../backend";
import { useLiveQuery } from "../shared/useLiveQuery";
import { useReported } from "./useReported";

/**
 * The sidebar's threads, archived or not and matching the search, following the log: a thread
 * created, renamed, archived or read changes its summary, and the list is read again on that
 * change (once per frame for a burst), not when the command that caused it resolves.
 */
export function useThreads(backend: Backend, onError: (message: string) => void) {
  const [archived, setArchived] = useState(false);
  const [query, setQuery] = useState("");
  const list = useLiveQuery(
    backend,
    () => backend.listThreads(archived, query, null),
    [backend, archived, query],
    (change) => change.kind === "thread_summary",
  );
  useReported(list.error, onError);
  return { threads: list.value ?? [], archived, setArchived, query, setQuery };
}

/** Every project, read again when one is added or changes. */
export function useProjects(backend: Backend, onError: (message: string) => void) {
  const list = useLiveQuery(
    backend,
    () => backend.listProjects(),
    [backend],
    (change) => change.kind === "project",
  );
  useReported(list.error, onError);
  return list.value ?? [];
}
