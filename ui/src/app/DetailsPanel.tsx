import type { Backend } from "../backend";
import { FilesPanel } from "../files/FilesPanel";
import { RunPanel } from "../run/RunPanel";
import { Timeline } from "../timeline/Timeline";

export type Tab = "run" | "files" | "timeline";

/** The details panel's tabs, in order (Alt+1, Alt+2, Alt+3). */
export const TABS: [Tab, string][] = [
  ["run", "Run"],
  ["files", "Files"],
  ["timeline", "Timeline"],
];

/** The open thread's runs, file changes and timeline, one tab at a time. */
export function DetailsPanel({
  backend,
  threadId,
  projectId,
  tab,
  onTab,
  runId,
  onSelectRun,
  at,
  onTimeTravel,
}: {
  backend: Backend;
  threadId: string;
  projectId: string | null;
  tab: Tab;
  onTab: (tab: Tab) => void;
  runId: string | null;
  onSelectRun: (runId: string) => void;
  at: number | null;
  onTimeTravel: (sequence: number | null) => void;
}) {
  return (
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
            onClick={() => onTab(id)}
          >
            {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tabpanel">
        {tab === "run" && (
          <RunPanel
            key={threadId}
            backend={backend}
            threadId={threadId}
            runId={runId}
            onSelectRun={onSelectRun}
          />
        )}
        {tab === "files" && (
          <FilesPanel key={threadId} backend={backend} projectId={projectId} runId={runId} />
        )}
        {tab === "timeline" && (
          <Timeline
            key={threadId}
            backend={backend}
            threadId={threadId}
            at={at}
            onTimeTravel={onTimeTravel}
          />
        )}
      </div>
    </aside>
  );
}
