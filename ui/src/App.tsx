import { useCallback, useEffect, useState } from "react";

import type { Backend } from "./backend";
import { describe } from "./shared/errors";
import type { IpcError, ThreadSummary } from "./shared/types";
import { Chat } from "./thread/Chat";
import { ThreadList } from "./thread/ThreadList";

export function App({ backend }: { backend: Backend }) {
  const [threads, setThreads] = useState<ThreadSummary[]>([]);
  const [provider, setProvider] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);

  const report = (e: unknown) => setError(describe(e as IpcError));
  const reload = useCallback(() => {
    backend.listThreads(false, "").then(setThreads, report);
  }, [backend]);

  useEffect(() => {
    reload();
    backend.providerLabel().then(setProvider, report);
    return backend.onViewChange((change) => {
      if (change.kind === "thread_summary") reload();
    });
  }, [backend, reload]);

  const newThread = () =>
    backend.createThread("New thread").then((id) => {
      setSelected(id);
      reload();
    }, report);

  return (
    <div className="app">
      <aside className="sidebar">
        <header>
          <h1>Coder</h1>
          <button type="button" onClick={newThread}>
            New thread
          </button>
        </header>
        <ThreadList threads={threads} selected={selected} onSelect={setSelected} />
        <footer className="provider">{provider}</footer>
      </aside>
      <main className="chat">
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        {selected ? (
          <Chat key={selected} backend={backend} threadId={selected} />
        ) : (
          <p className="empty">Choose a thread on the left, or start a new one.</p>
        )}
      </main>
    </div>
  );
}
