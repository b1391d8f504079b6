import { useCallback, useEffect, useRef, useState } from "react";

import type { Backend } from "./backend";
import { FilesPanel } from "./files/FilesPanel";
import { RunPanel } from "./run/RunPanel";
import { SettingsScreen } from "./settings/SettingsScreen";
import { Welcome } from "./settings/Welcome";
import { coalesce } from "./shared/coalesce";
import { describe } from "./shared/errors";
import type { IpcError, Project, SettingsView, ThreadSummary } from "./shared/types";
import { AddProject } from "./sidebar/AddProject";
import { Sidebar } from "./sidebar/Sidebar";
import { Chat } from "./thread/Chat";
import { Timeline } from "./timeline/Timeline";

type Tab = "run" | "files" | "timeline";
const TABS: [Tab, string][] = [
  ["run", "Run"],
  ["files", "Files"],
  ["timeline", "Timeline"],
];

export function App({ backend }: { backend: Backend }) {
  const [projects, setProjects] = useState<Project[]>([]);
  const [threads, setThreads] = useState<ThreadSummary[]>([]);
  const [archived, setArchived] = useState(false);
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [tab, setTab] = useState<Tab>("run");
  const [runId, setRunId] = useState<string | null>(null);
  const [at, setAt] = useState<number | null>(null);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [dialog, setDialog] = useState<"settings" | "project" | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = useRef<HTMLInputElement>(null);

  const report = useCallback((e: unknown) => setError(describe(e as IpcError)), []);
  const loadThreads = useCallback(
    () => backend.listThreads(archived, query, null).then(setThreads, report),
    [backend, archived, query, report],
  );
  const loadProjects = useCallback(() => backend.listProjects().then(setProjects, report), [backend, report]);
  const loadSettings = useCallback(() => backend.getSettings().then(setSettings, report), [backend, report]);

  useEffect(() => {
    void loadThreads();
  }, [loadThreads]);

  useEffect(() => {
    void loadProjects();
    void loadSettings();
  }, [loadProjects, loadSettings]);

  // Sidebar rows follow the log; a burst of changes reloads once per frame.
  useEffect(() => {
    const threadsChanged = coalesce(() => void loadThreads());
    const stopChanges = backend.onViewChange((change) => {
      if (change.kind === "thread_summary") threadsChanged.schedule();
      if (change.kind === "project") void loadProjects();
    });
    const stopReset = backend.onViewReset(() => {
      threadsChanged.schedule();
      void loadProjects();
    });
    return () => {
      stopChanges();
      stopReset();
      threadsChanged.cancel();
    };
  }, [backend, loadThreads, loadProjects]);

  // The thread that was open when the app last closed opens again, unless one was chosen first.
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

  // Whatever is open now is what the next start opens.
  useEffect(() => {
    if (selected) backend.rememberOpenThread(selected).catch(() => {});
  }, [backend, selected]);

  const select = useCallback((threadId: string) => {
    setSelected(threadId);
    setRunId(null);
    setAt(null);
  }, []);

  const newThread = useCallback(
    (projectId: string | null) =>
      backend.createThread("New thread", projectId).then((id) => {
        select(id);
        void loadThreads();
      }, report),
    [backend, select, loadThreads, report],
  );

  // The project a new thread goes into when none is named: the open thread's.
  const currentProject = threads.find((t) => t.id === selected)?.project_id ?? null;

  // Keyboard: Ctrl+N new thread, Ctrl+K search, Ctrl+, settings, Alt+1/2/3 the side panels.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key.toLowerCase() === "n") {
        e.preventDefault();
        void newThread(currentProject);
      } else if (mod && e.key.toLowerCase() === "k") {
        e.preventDefault();
        search.current?.focus();
      } else if (mod && e.key === ",") {
        e.preventDefault();
        setDialog("settings");
      } else if (e.altKey && ["1", "2", "3"].includes(e.key)) {
        e.preventDefault();
        setTab(TABS[Number(e.key) - 1][0]);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [currentProject, newThread]);

  const reviewRun = useCallback((run: string) => {
    setRunId(run);
    setTab("run");
  }, []);

  const thread = threads.find((t) => t.id === selected) ?? null;

  // The open thread is being read: what arrives in it is not unread.
  const unreadHere = thread !== null && thread.unread_count > 0;
  useEffect(() => {
    if (unreadHere && selected) backend.markRead(selected).catch(() => {});
  }, [backend, selected, unreadHere]);
  const projectId = thread?.project_id ?? null;
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
        onNewThread={(p) => void newThread(p === undefined ? currentProject : p)}
        onRename={(id, title) => backend.renameThread(id, title).then(loadThreads, report)}
        onArchive={(id, a) => backend.setArchived(id, a).then(loadThreads, report)}
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
                .then(loadSettings, report)
            }
            onSetUp={() => setDialog("settings")}
          />
        ) : (
          <p className="empty center">Choose a thread on the left, or start a new one with Ctrl+N.</p>
        )}
      </main>
      {selected && (
        <aside className="panel" aria-label="Details">
          <div role="tablist" aria-label="Details">
            {TABS.map(([id, label], i) => (
              <button
                key={id}
                type="button"
                role="tab"
                id={`tab-${id}`}
                aria-selected={tab === id}
                aria-controls={`panel-${id}`}
                title={`${label} (Alt+${i + 1})`}
                onClick={() => setTab(id)}
              >
                {label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
            {tab === "run" && (
              <RunPanel
                key={selected}
                backend={backend}
                threadId={selected}
                runId={runId}
                onSelectRun={setRunId}
              />
            )}
            {tab === "files" && (
              <FilesPanel key={selected} backend={backend} projectId={projectId} runId={runId} />
            )}
            {tab === "timeline" && (
              <Timeline key={selected} backend={backend} threadId={selected} at={at} onTimeTravel={setAt} />
            )}
          </div>
        </aside>
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
            void loadSettings();
          }}
        />
      )}
      {dialog === "project" && (
        <AddProject
          backend={backend}
          onClose={() => setDialog(null)}
          onAdded={(projectId) => {
            setDialog(null);
            void loadProjects();
            void newThread(projectId);
          }}
        />
      )}
    </div>
  );
}
