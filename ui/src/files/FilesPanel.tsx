import { useState } from "react";

import type { Backend } from "../backend";
import { describe } from "../shared/errors";
import type { FileChangeRecord, IpcError } from "../shared/types";
import { useAsync } from "../shared/useAsync";
import { useLiveQuery } from "../shared/useLiveQuery";
import { DiffView } from "./DiffView";

const CHANGE_WORDS = { Created: "created", Modified: "modified", Deleted: "deleted" } as const;

/**
 * The project's file changes, newest first (or only the chosen run's), with a diff for the
 * selected one and Revert for a file or a whole run. A revert refused because the file changed
 * since says so, and offers to revert anyway.
 */
export function FilesPanel({
  backend,
  projectId,
  runId,
}: {
  backend: Backend;
  projectId: string | null;
  runId: string | null;
}) {
  const [onlyRun, setOnlyRun] = useState(false);
  const scope = onlyRun && runId ? runId : null;
  // A revert is recorded in the project's log like every file change, so the list follows it by
  // the project's change alone.
  const changes = useLiveQuery(
    backend,
    () =>
      scope
        ? backend.runChanges(scope)
        : projectId
          ? backend.projectChanges(projectId)
          : Promise.resolve([] as FileChangeRecord[]),
    [backend, projectId, scope],
    (change) => change.kind === "project" && change.project_id === projectId,
  );
  const [selected, setSelected] = useState<number | null>(null);
  const diff = useAsync(
    () => (projectId && selected !== null ? backend.fileDiff(projectId, selected) : Promise.resolve(null)),
    [backend, projectId, selected],
  );
  const [refused, setRefused] = useState<{ message: string; retry: () => void } | null>(null);
  const [note, setNote] = useState<string | null>(null);

  if (!projectId) {
    return (
      <p className="empty">
        This thread has no project folder, so Coder changes no files. Start a thread inside a project to work
        on its files.
      </p>
    );
  }

  const attempt = (action: (force: boolean) => Promise<unknown>, done: string) => {
    setRefused(null);
    setNote(null);
    action(false).then(
      () => setNote(done),
      (e: IpcError) => {
        if (e.code === "file_changed_since") {
          setRefused({
            message: describe(e),
            retry: () => {
              setRefused(null);
              action(true).then(
                () => setNote(done),
                (e2: IpcError) => setNote(describe(e2)),
              );
            },
          });
        } else {
          setNote(describe(e));
        }
      },
    );
  };

  const list = changes.value ?? [];
  const current = list.find((c) => c.sequence === selected) ?? null;
  return (
    <div className="files-panel">
      <div className="toolbar">
        <label>
          <input
            type="checkbox"
            checked={onlyRun}
            disabled={!runId}
            onChange={(e) => setOnlyRun(e.target.checked)}
          />{" "}
          Only the selected run
        </label>
        {runId && (
          <button
            type="button"
            onClick={() =>
              attempt((force) => backend.revertRun(runId, force), "The run's changes were reverted.")
            }
          >
            Revert run
          </button>
        )}
      </div>
      {changes.error && (
        <p role="alert" className="error">
          {changes.error}
        </p>
      )}
      {refused && (
        <div role="alert" className="refusal">
          <p>{refused.message}</p>
          <button type="button" className="danger" onClick={refused.retry}>
            Revert anyway
          </button>
        </div>
      )}
      {note && (
        <p role="status" className="note">
          {note}
        </p>
      )}
      {list.length === 0 ? (
        <p className="empty">No file changes yet. When Coder writes a file, it shows here.</p>
      ) : (
        <ul className="changes" aria-label="File changes">
          {list.map((change) => (
            <li key={change.sequence} aria-current={change.sequence === selected}>
              <button type="button" className="change" onClick={() => setSelected(change.sequence)}>
                <span className="path">{change.path}</span>
                <span className={`badge change-${change.change_type.kind.toLowerCase()}`}>
                  {CHANGE_WORDS[change.change_type.kind]}
                </span>
                <time dateTime={change.timestamp}>{new Date(change.timestamp).toLocaleTimeString()}</time>
              </button>
            </li>
          ))}
        </ul>
      )}
      {current && (
        <section className="diff-section" aria-label={`Diff of ${current.path}`}>
          <div className="toolbar">
            <strong>{current.path}</strong>
            <button
              type="button"
              onClick={() =>
                attempt(
                  (force) => backend.revertFile(projectId, current.sequence, force),
                  `${current.path} was put back as it was before this change.`,
                )
              }
            >
              Revert file
            </button>
          </div>
          {diff.error && <p className="error">{diff.error}</p>}
          {diff.value !== null && <DiffView diff={diff.value} label={`Diff of ${current.path}`} />}
        </section>
      )}
    </div>
  );
}
