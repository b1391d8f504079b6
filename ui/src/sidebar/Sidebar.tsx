import { forwardRef } from "react";

import type { Project, ThreadSummary } from "../shared/types";
import { ThreadRow } from "./ThreadRow";

export interface SidebarProps {
  projects: Project[];
  threads: ThreadSummary[];
  selected: string | null;
  archived: boolean;
  query: string;
  providerLabel: string;
  onQuery: (query: string) => void;
  onArchived: (archived: boolean) => void;
  onSelect: (threadId: string) => void;
  /** A new thread in this project; without one, in the open thread's project (like Ctrl+N). */
  onNewThread: (projectId?: string) => void;
  onRename: (threadId: string, title: string) => void;
  onArchive: (threadId: string, archived: boolean) => void;
  onAddProject: () => void;
  onSettings: () => void;
}

/** Projects and their threads, search, the archived filter, and the way to settings. */
export const Sidebar = forwardRef<HTMLInputElement, SidebarProps>(function Sidebar(props, searchRef) {
  const { projects, threads, selected, archived, query } = props;
  const groups: { id: string | null; name: string; path?: string }[] = [
    ...projects.map((p) => ({ id: p.id, name: p.name, path: p.path })),
    { id: null, name: "Without a project" },
  ];
  const row = (t: ThreadSummary) => (
    <ThreadRow
      key={t.id}
      thread={t}
      selected={t.id === selected}
      onSelect={() => props.onSelect(t.id)}
      onRename={(title) => props.onRename(t.id, title)}
      onArchive={(a) => props.onArchive(t.id, a)}
    />
  );
  return (
    <aside className="sidebar" aria-label="Sidebar">
      <header>
        <h1>Coder</h1>
        <button type="button" onClick={props.onSettings} aria-label="Settings" title="Settings (Ctrl+,)">
          ⚙
        </button>
      </header>
      <input
        ref={searchRef}
        type="search"
        aria-label="Search threads"
        placeholder="Search threads (Ctrl+K)"
        value={query}
        onChange={(e) => props.onQuery(e.target.value)}
      />
      <label className="toggle">
        <input type="checkbox" checked={archived} onChange={(e) => props.onArchived(e.target.checked)} /> Show
        archived threads
      </label>
      <div className="sidebar-actions">
        <button
          type="button"
          className="primary"
          onClick={() => props.onNewThread()}
          title="New thread (Ctrl+N)"
        >
          New thread
        </button>
        <button type="button" onClick={props.onAddProject}>
          Add project
        </button>
      </div>
      <nav className="projects" aria-label="Projects">
        {groups.map((group) => {
          const mine = threads.filter((t) => t.project_id === group.id);
          if (group.id === null && mine.length === 0) return null;
          return (
            <section key={group.id ?? "none"} className="project" aria-label={group.name}>
              <header>
                <h2 title={group.path}>{group.name}</h2>
                {group.id && (
                  <button
                    type="button"
                    className="quiet"
                    aria-label={`New thread in ${group.name}`}
                    title={`New thread in ${group.name}`}
                    onClick={() => props.onNewThread(group.id ?? undefined)}
                  >
                    +
                  </button>
                )}
              </header>
              {mine.length === 0 ? (
                <p className="empty small">
                  {query ? "No thread matches." : archived ? "No archived threads." : "No threads yet."}
                </p>
              ) : (
                <ul className="threads">{mine.map(row)}</ul>
              )}
            </section>
          );
        })}
        {projects.length === 0 && threads.length === 0 && (
          <p className="empty">
            {query
              ? "No thread matches your search."
              : "Add a project folder to let Coder work on its files, or start a thread to just chat."}
          </p>
        )}
      </nav>
      <footer className="provider" title="The model Coder talks to">
        {props.providerLabel}
      </footer>
    </aside>
  );
});
