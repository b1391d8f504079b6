import { memo, useState } from "react";

import type { ToolOutput, ToolUseView } from "../shared/types";
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
  loadOutput,
}: {
  tool: ToolUseView;
  liveOutput: string[] | undefined;
  onCancel: (toolUseId: string) => void;
  onReview: (runId: string) => void;
  loadOutput: (runId: string, toolUseId: string) => Promise<ToolOutput | null>;
}) {
  const [open, setOpen] = useState(false);
  // The whole output, fetched when first shown (the card itself carries a one-line summary).
  const [full, setFull] = useState<string | null>(null);
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
          <button
            type="button"
            aria-expanded={open}
            onClick={() => {
              if (!open && full === null && tool.output_summary !== null) {
                loadOutput(tool.run_id, tool.id).then(
                  (o) => setFull(o ? outputText(o) : null),
                  () => {},
                );
              }
              setOpen((o) => !o);
            }}
          >
            {open ? "Hide output" : "Show output"}
          </button>
        )}
      </div>
      {open && output && (
        <pre className="tool-output" tabIndex={0} aria-label="Tool output">
          {full ?? output}
        </pre>
      )}
    </article>
  );
});

/** A tool's output as text to read. */
function outputText(output: ToolOutput): string {
  switch (output.kind) {
    case "Text":
      return output.value;
    case "Json":
      return JSON.stringify(output.value, null, 2);
    case "Binary":
      return `${Math.floor((output.value.length * 3) / 4)} bytes of binary data`;
    case "File":
      return `${output.value.path} (${output.value.mime_type})`;
    case "Empty":
      return "(no output)";
  }
}
