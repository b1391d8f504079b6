import { useId, useState } from "react";

import type { Backend } from "../backend";
import { DiffView } from "../files/DiffView";
import { describe } from "../shared/errors";
import type { IpcError, WaitingStep } from "../shared/types";
import { useAsync } from "../shared/useAsync";
import { withCode } from "./StepPolicy";

/**
 * A step waiting for the person: what it will do, Approve and Reject, and — when there is a
 * sensible rule for it (a command's first words, a file's folder) — "Always allow … in this
 * project", which adds that rule to the project and approves. With no `backend` the card only
 * approves and rejects.
 */
export function Approval({
  step,
  askedBy = null,
  reason,
  onReason,
  onApprove,
  onReject,
  backend,
  runId,
}: {
  step: WaitingStep;
  /** The rule that made this call wait, when one did (`RunView::step_reasons`). */
  askedBy?: string | null;
  reason: string;
  onReason: (reason: string) => void;
  onApprove: () => void;
  onReject: () => void;
  backend?: Backend;
  runId?: string;
}) {
  const preview = step.preview;
  const noteId = useId();
  const suggestion = useAsync(
    () => (backend && runId ? backend.ruleSuggestion(runId, step.step_id) : Promise.resolve(null)),
    [backend, runId, step.step_id],
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const offered = suggestion.value;

  const alwaysAllow = () => {
    if (!backend || !runId || !offered) return;
    setBusy(true);
    backend.alwaysAllowStep(runId, step.step_id, offered.rule).then(
      () => setError(null),
      (e: IpcError) => {
        setError(describe(e));
        setBusy(false);
      },
    );
  };

  return (
    <section className="approval" aria-label="Waiting for approval">
      <h3>
        Coder wants to{" "}
        {preview.kind === "command"
          ? "run a command"
          : preview.kind === "write"
            ? `change ${preview.path}`
            : `use ${preview.tool_name}`}
      </h3>
      {askedBy && <p className="note">It waits for you because of {withCode(askedBy)}.</p>}
      {preview.kind === "command" && (
        <pre className="command" aria-label="Command">
          $ {preview.command}
        </pre>
      )}
      {preview.kind === "write" && <DiffView diff={preview.diff} label={`Changes to ${preview.path}`} />}
      {preview.kind === "input" && <pre aria-label="Tool input">{preview.input}</pre>}
      <label className="field">
        Reason if you reject (optional, told to Coder)
        <input value={reason} onChange={(e) => onReason(e.target.value)} />
      </label>
      <div className="buttons">
        <button type="button" className="primary" onClick={onApprove}>
          Approve
        </button>
        <button type="button" onClick={onReject}>
          Reject
        </button>
        {offered && (
          <button type="button" onClick={alwaysAllow} disabled={busy} aria-describedby={noteId}>
            Always allow <code>{offered.label}</code> in this project
          </button>
        )}
      </div>
      {offered && (
        <p className="note" id={noteId}>
          Approves this and adds the rule “allow {offered.rule.tool} {offered.rule.pattern}” to this project,
          so the same kind of call runs without asking from now on. Rules are listed in Settings.
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </section>
  );
}
