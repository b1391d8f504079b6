import { memo, useState } from "react";

import type { ToolUseView } from "../shared/types";
import { formatDuration, toolCardKind } from "./toolCards";

const STATUS_WORDS: Record<ToolUseView["status"], string> = {
  Pending: "pending",
  Running: "running",
  Success: "done",
  Failed: "failed",
  Cancelled: "cancelled",
};

/** One tool use in the chat: what it does, its status and progress, and its output. */
export const ToolCard = memo(function ToolCard({
  tool,
  liveOutput,
  onCancel,
  onReview,
}: {
  tool: ToolUseView;
  liveOutput: string[] | undefined;
  onCancel: (toolUseId: string) => void;
  onReview: (runId: string) => void;
}) {
  const [open, setOpen] = useState(false);
  const kind = toolCardKind(tool);
  const active = tool.status === "Pending" || tool.status === "Running";
  const status = tool.awaiting_approval ? "waiting for approval" : STATUS_WORDS[tool.status];
  const output = tool.error ?? tool.output_summary ?? (liveOutput ? liveOutput.join("\n") : null);
  return (
    <article
      className={`tool-card status-${tool.status.toLowerCase()}`}
      data-status={tool.awaiting_approval ? "awaiting_approval" : tool.status.toLowerCase()}
      aria-label={`${kind.label}: ${tool.input_summary}`}
    >
      <header>
        <span aria-hidden="true">{kind.icon}</span>
        <strong>{kind.label}</strong>
        <code className="tool-input">{tool.input_summary}</code>
        <span className="badge" role="status">
          {status}
        </span>
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
        {output && (
          <button type="button" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            {open ? "Hide output" : "Show output"}
          </button>
        )}
      </div>
      {open && output && (
        <pre className="tool-output" tabIndex={0} aria-label="Tool output">
          {output}
        </pre>
      )}
    </article>
  );
});
