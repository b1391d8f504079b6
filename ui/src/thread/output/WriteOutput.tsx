import { useState } from "react";

import { DiffView } from "../../files/DiffView";
import type { ToolChange } from "../../shared/types";

/** Diff lines shown before "Show all". */
export const DIFF_LINES = 400;

/**
 * What a write or an edit changed, as the diff of the change it recorded. A long diff shows its
 * first `DIFF_LINES` lines until the person asks for all; one the backend cut says so.
 */
export function WriteOutput({ change }: { change: ToolChange }) {
  const [all, setAll] = useState(false);
  const lines = change.diff.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const cut = !all && lines.length > DIFF_LINES;
  const shown = cut ? lines.slice(0, DIFF_LINES).join("\n") : change.diff;
  return (
    <div className="write-view">
      <DiffView diff={shown} label={`Changes to ${change.path}`} />
      {cut && (
        <button type="button" className="quiet" onClick={() => setAll(true)}>
          Show all {lines.length.toLocaleString("en")} lines
        </button>
      )}
      {!cut && change.truncated && (
        <p className="note">The diff is longer than a card shows; the Files tab has all of it.</p>
      )}
    </div>
  );
}
