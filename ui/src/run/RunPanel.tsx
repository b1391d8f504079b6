import { useState } from "react";

import type { Backend } from "../backend";
import { describe } from "../shared/errors";
import type { IpcError, Run, RunStatus, RunView, StepRun, ViewChange } from "../shared/types";
import { useLiveQuery } from "../shared/useLiveQuery";
import { formatDuration } from "../thread/toolCards";
import { Approval } from "./Approval";
import { PlanSteps } from "./PlanSteps";
import { StepPolicy } from "./StepPolicy";

const RUN_WORDS: Record<RunStatus, string> = {
  Queued: "Queued",
  Running: "Running",
  WaitingForApproval: "Waiting for your approval",
  Success: "Finished",
  Failed: "Failed",
  Cancelled: "Cancelled",
};

/** The thread's runs, newest first, and the chosen one's steps, approvals, cost and controls. */
export function RunPanel({
  backend,
  threadId,
  runId,
  onSelectRun,
}: {
  backend: Backend;
  threadId: string;
  runId: string | null;
  onSelectRun: (runId: string) => void;
}) {
  // A run reports every step's progress, and every approval, rejection or cancel of the person's
  // is an event of the run: both reach the panel as a run change, read again once per frame.
  const ofThisThread = (change: ViewChange) => change.kind === "run" && change.thread_id === threadId;
  const runs = useLiveQuery(backend, () => backend.threadRuns(threadId), [backend, threadId], ofThisThread);
  const shown = runId ?? runs.value?.[0]?.id ?? null;
  const panel = useLiveQuery(
    backend,
    () => (shown ? backend.runPanel(shown) : Promise.resolve(null)),
    [backend, shown],
    ofThisThread,
  );
  const [error, setError] = useState<string | null>(null);
  const [reason, setReason] = useState("");

  const act = (action: Promise<unknown>) =>
    action.then(
      () => setError(null),
      (e: IpcError) => setError(describe(e)),
    );

  if (runs.value && runs.value.length === 0) {
    return <p className="empty">No runs yet. Each message you send starts one.</p>;
  }
  const run = panel.value?.view.run ?? null;
  return (
    <div className="run-panel">
      {runs.value && runs.value.length > 1 && (
        <label className="field">
          Run
          <select value={shown ?? ""} onChange={(e) => onSelectRun(e.target.value)}>
            {runs.value.map((r, i) => (
              <option key={r.id} value={r.id}>
                {i === 0 ? "Latest" : new Date(r.started_at).toLocaleString()} — {RUN_WORDS[r.status]}
              </option>
            ))}
          </select>
        </label>
      )}
      {(error ?? panel.error ?? runs.error) && (
        <p role="alert" className="error">
          {error ?? panel.error ?? runs.error}
        </p>
      )}
      {run && (
        <>
          <RunSummary run={run} />
          <RunEnd
            view={panel.value!.view}
            latest={runs.value?.[0]?.id === run.id}
            onContinue={() => act(backend.continueRun(run.id).then(onSelectRun))}
          />
          {panel.value!.waiting.map((step) => (
            <Approval
              key={step.step_id}
              step={step}
              askedBy={panel.value!.view.step_reasons[step.step_id] ?? null}
              backend={backend}
              runId={run.id}
              reason={reason}
              onReason={setReason}
              onApprove={() => act(backend.approveStep(run.id, step.step_id))}
              onReject={() =>
                act(backend.rejectStep(run.id, step.step_id, reason || null).then(() => setReason("")))
              }
            />
          ))}
          <PlanSteps
            view={panel.value!.view}
            renderStep={(step) => (
              <Step step={step} askedBy={panel.value!.view.step_reasons[step.id] ?? null} />
            )}
          />
          {(run.status === "Running" || run.status === "WaitingForApproval" || run.status === "Queued") && (
            <button type="button" className="danger" onClick={() => act(backend.cancelRun(run.id))}>
              Cancel run
            </button>
          )}
        </>
      )}
    </div>
  );
}

/**
 * Why the run ended, when it says; for a run stopped at its turn limit with the model still
 * working, "Continue" starts a run that goes on (offered on the thread's newest run only).
 */
function RunEnd({ view, latest, onContinue }: { view: RunView; latest: boolean; onContinue: () => void }) {
  if (!view.end_reason) return null;
  return (
    <div className="run-end">
      <p>
        <strong>Ended:</strong> {view.end_reason}
      </p>
      {view.stopped_at_turn_limit && latest && (
        <button type="button" className="primary" onClick={onContinue}>
          Continue
        </button>
      )}
    </div>
  );
}

function RunSummary({ run }: { run: Run }) {
  const dollars = (run.cost.usd_cents / 100).toFixed(2);
  return (
    <dl className="run-summary" aria-label="Run summary">
      <dt>Status</dt>
      <dd data-run-status={run.status}>{RUN_WORDS[run.status]}</dd>
      <dt>Tokens</dt>
      <dd>
        {run.cost.total_tokens.toLocaleString()} ({run.cost.input_tokens.toLocaleString()} in,{" "}
        {run.cost.output_tokens.toLocaleString()} out)
      </dd>
      <dt>Cost</dt>
      <dd>${dollars}</dd>
      {run.duration_ms !== null && (
        <>
          <dt>Took</dt>
          <dd>{formatDuration(run.duration_ms)}</dd>
        </>
      )}
    </dl>
  );
}

function Step({ step, askedBy }: { step: StepRun; askedBy: string | null }) {
  const decided = step.decision ? ` — ${step.decision.verdict.toLowerCase()}` : "";
  return (
    <li className={`step status-${step.status.toLowerCase()}`}>
      <span className="step-title">{step.description}</span>
      <span className="badge">
        {step.status.toLowerCase()}
        {decided}
      </span>
      <progress aria-label={`Progress of ${step.description}`} max={1} value={step.progress} />
      <StepPolicy step={step} askedBy={askedBy} />
      {step.result?.kind === "Failed" && <p className="error">{step.result.error}</p>}
    </li>
  );
}
