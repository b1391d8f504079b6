import { memo, useEffect, useState } from "react";

import { describe } from "../shared/errors";
import type { IpcError, ToolDetail, ToolUseView } from "../shared/types";
import { commandOutcome, commandResult, resultFromSummary } from "./output/command";
import { formatDuration, toolAbout, toolCardKind } from "./toolCards";

const STATUS_WORDS: Record<ToolUseView["status"], string> = {
  Pending: "pending",
  Running: "running",
  Success: "done",
  Failed: "failed",
  Cancelled: "cancelled",
};

/** One tool use in the chat: what it does, its status and progress, and its output the way the
 * tool means it (a terminal, code, a diff), unfolded on request. */
export const ToolCard = memo(function ToolCard({
  tool,
  liveOutput,
  onCancel,
  onReview,
  loadDetail,
}: {
  tool: ToolUseView;
  liveOutput: string[] | undefined;
  onCancel: (toolUseId: string) => void;
  onReview: (runId: string) => void;
  loadDetail: (runId: string, toolUseId: string) => Promise<ToolDetail>;
}) {
  const [open, setOpen] = useState(false);
  // The input, whole output and diff, fetched when first unfolded after the tool finished (the
  // card itself carries one-line summaries).
  const [detail, setDetail] = useState<ToolDetail | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const kind = toolCardKind(tool);
  const active = tool.status === "Pending" || tool.status === "Running";
  const finished = !active;
  const status = tool.awaiting_approval ? "waiting for approval" : STATUS_WORDS[tool.status];

  useEffect(() => {
    if (!open || !finished || detail !== null || failure !== null) return;
    let current = true;
    loadDetail(tool.run_id, tool.id).then(
      (loaded) => current && setDetail(loaded),
      (e: IpcError) => current && setFailure(describe(e)),
    );
    return () => {
      current = false;
    };
  }, [open, finished, detail, failure, loadDetail, tool.run_id, tool.id]);

  const outcome =
    tool.tool_name === "run_command"
      ? commandOutcome(tool, commandResult(detail?.output ?? null) ?? resultFromSummary(tool.output_summary))
      : null;
  const canOpen = !tool.awaiting_approval && (finished || (liveOutput?.length ?? 0) > 0);
  const Output = kind.Output;
  return (
    <article
      className={`tool-card status-${tool.status.toLowerCase()}`}
      data-status={tool.awaiting_approval ? "awaiting_approval" : tool.status.toLowerCase()}
      aria-label={`${kind.label}: ${toolAbout(kind, tool)}`}
    >
      <header>
        <span aria-hidden="true">{kind.icon}</span>
        <strong>{kind.label}</strong>
        <code className="tool-input">{toolAbout(kind, tool)}</code>
        <span className="badge" role="status">
          {status}
        </span>
        {outcome && (
          <span
            className={`badge outcome ${outcome.ok ? "outcome-ok" : "outcome-bad"}`}
            data-outcome={outcome.text}
          >
            {outcome.text}
          </span>
        )}
        {tool.duration_ms !== null && <span className="duration">{formatDuration(tool.duration_ms)}</span>}
      </header>
      {tool.status === "Running" && (
        <div className="tool-progress">
          <progress aria-label="Tool progress" max={1} value={tool.progress ?? undefined} />
          {tool.status_message && <span>{tool.status_message}</span>}
        </div>
      )}
      <div className="tool-actions">
        {tool.awaiting_approval && (
          <button type="button" className="primary" onClick={() => onReview(tool.run_id)}>
            Review and approve
          </button>
        )}
        {active && !tool.awaiting_approval && (
          <button type="button" onClick={() => onCancel(tool.id)}>
            Cancel
          </button>
        )}
        {canOpen && (
          <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            {open ? "Hide output" : "Show output"}
          </button>
        )}
      </div>
      {open && canOpen && (
        <div className="tool-body">
          {tool.error && <p className="tool-error">{tool.error}</p>}
          {failure !== null ? (
            <p className="error">The output could not be loaded: {failure}</p>
          ) : finished && detail === null ? (
            <p className="note" aria-busy="true">
              Loading the output…
            </p>
          ) : (
            <Output tool={tool} detail={detail} liveOutput={liveOutput} />
          )}
        </div>
      )}
    </article>
  );
});
