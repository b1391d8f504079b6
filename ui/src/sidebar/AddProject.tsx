import { useState } from "react";

import type { Backend } from "../backend";
import { Dialog } from "../shared/Dialog";
import { describe } from "../shared/errors";
import type { IpcError } from "../shared/types";

/** Adds a project: a folder chosen with the system's picker, or its path typed or pasted. */
export function AddProject({
  backend,
  onAdded,
  onClose,
}: {
  backend: Backend;
  onAdded: (projectId: string) => void;
  onClose: () => void;
}) {
  const [path, setPath] = useState("");
  const [error, setError] = useState<string | null>(null);
  const add = () => backend.addProject(path).then(onAdded, (e: IpcError) => setError(describe(e)));
  return (
    <Dialog title="Add a project" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          add();
        }}
      >
        <p>Coder works inside the project folder: it reads its files and, when you approve, changes them.</p>
        <label className="field">
          Project folder
          <span className="row">
            <input
              autoFocus
              value={path}
              placeholder="/home/you/code/project"
              onChange={(e) => setPath(e.target.value)}
            />
            <button
              type="button"
              onClick={() =>
                backend.pickFolder().then(
                  (picked) => picked && setPath(picked),
                  (e: unknown) => setError(String(e)),
                )
              }
            >
              Browse…
            </button>
          </span>
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="buttons">
          <button type="submit" className="primary" disabled={path.trim() === ""}>
            Add project
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
