import { useCallback, useRef, useState } from "react";

import { DetailsPanel, TABS, type Tab } from "./app/DetailsPanel";
import { useOpenThread } from "./app/useOpenThread";
import { useShortcuts } from "./app/useShortcuts";
import { useReported } from "./app/useReported";
import { useProjects, useThreads } from "./app/useThreads";
import type { Backend } from "./backend";
import { SettingsScreen } from "./settings/SettingsScreen";
import { Welcome } from "./settings/Welcome";
import { describe } from "./shared/errors";
import type { IpcError } from "./shared/types";
import { useAsync } from "./shared/useAsync";
import { AddProject } from "./sidebar/AddProject";
import { Sidebar } from "./sidebar/Sidebar";
import { Chat } from "./thread/Chat";

/**
 * The window: the sidebar's threads and projects, the open thread's chat, its details panel, and
 * the settings and add-project dialogs. Lists follow the log by its view changes, so a command of
 * the person's only reports its failure; settings are no events and are read again once saved.
 */
export function App({ backend }: { backend: Backend }) {
  const [tab, setTab] = useState<Tab>("run");
  const [dialog, setDialog] = useState<"settings" | "project" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = useRef<HTMLInputElement>(null);

  const report = useCallback((e: unknown) => setError(describe(e as IpcError)), []);
  const { threads, archived, setArchived, query, setQuery } = useThreads(backend, setError);
  const projects = useProjects(backend, setError);
  const settingsQuery = useAsync(() => backend.getSettings(), [backend]);
  useReported(settingsQuery.error, setError);
  const settings = settingsQuery.value;
  const reloadSettings = settingsQuery.reload;
  const { selected, thread, select, runId, setRunId, at, setAt } = useOpenThread(backend, threads);

  // The new thread appears in the list by its own view change.
  const newThread = useCallback(
    (projectId: string | null) => backend.createThread("New thread", projectId).then(select, report),
    [backend, select, report],
  );

  // The project a new thread goes into when none is named: the open thread's.
  const projectId = thread?.project_id ?? null;

  useShortcuts({
    newThread: () => void newThread(projectId),
    search: () => search.current?.focus(),
    settings: () => setDialog("settings"),
    tab: (index) => setTab(TABS[index][0]),
  });

  const reviewRun = useCallback(
    (run: string) => {
      setRunId(run);
      setTab("run");
    },
    [setRunId],
  );

  const firstStart = settings?.first_start ?? false;

  return (
    <div className="app">
      <Sidebar
        ref={search}
        projects={projects}
        threads={threads}
        selected={selected}
        archived={archived}
        query={query}
        providerLabel={settings?.provider_label ?? ""}
        onQuery={setQuery}
        onArchived={setArchived}
        onSelect={select}
        onNewThread={(p) => void newThread(p === undefined ? projectId : p)}
        onRename={(id, title) => backend.renameThread(id, title).catch(report)}
        onArchive={(id, a) => backend.setArchived(id, a).catch(report)}
        onAddProject={() => setDialog("project")}
        onSettings={() => setDialog("settings")}
      />
      <main className="main">
        {error && (
          <div role="alert" className="error banner">
            <span>{error}</span>
            <button type="button" className="quiet" aria-label="Dismiss" onClick={() => setError(null)}>
              ✕
            </button>
          </div>
        )}
        {selected ? (
          <Chat
            key={`${selected}@${at ?? "now"}`}
            backend={backend}
            threadId={selected}
            at={at}
            onReviewRun={reviewRun}
            onError={setError}
          />
        ) : firstStart ? (
          <Welcome
            onDemo={() =>
              settings &&
              backend
                .saveSettings({ ...settings.settings, provider: "demo", base_url: "", model: "demo" })
                .then(reloadSettings, report)
            }
            onSetUp={() => setDialog("settings")}
          />
        ) : (
          <p className="empty center">Choose a thread on the left, or start a new one with Ctrl+N.</p>
        )}
      </main>
      {selected && (
        <DetailsPanel
          backend={backend}
          threadId={selected}
          projectId={projectId}
          tab={tab}
          onTab={setTab}
          runId={runId}
          onSelectRun={setRunId}
          at={at}
          onTimeTravel={setAt}
        />
      )}
      {dialog === "settings" && settings && (
        <SettingsScreen
          backend={backend}
          view={settings}
          projects={projects}
          currentProjectId={projectId}
          onClose={() => setDialog(null)}
          onSaved={() => {
            setDialog(null);
            reloadSettings();
          }}
        />
      )}
      {dialog === "project" && (
        <AddProject
          backend={backend}
          onClose={() => setDialog(null)}
          onAdded={(added) => {
            setDialog(null);
            void newThread(added);
          }}
        />
      )}
    </div>
  );
}
