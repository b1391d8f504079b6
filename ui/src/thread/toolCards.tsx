// Tool cards by tool name: each tool says how its input reads in one line. Tools without an
// entry fall back to the summary the backend made.
import type { ToolUseView } from "../shared/types";

interface ToolCardKind {
  /** The card's title, e.g. "Run command". */
  label: string;
  /** A glyph shown before the title. */
  icon: string;
}

const KINDS: Record<string, ToolCardKind> = {
  run_command: { label: "Run command", icon: "▶" },
  write_file: { label: "Write file", icon: "✎" },
  edit_file: { label: "Edit file", icon: "✎" },
  read_file: { label: "Read file", icon: "▤" },
  list_files: { label: "List files", icon: "☰" },
  search: { label: "Search", icon: "◎" },
};

export function toolCardKind(tool: ToolUseView): ToolCardKind {
  return KINDS[tool.tool_name] ?? { label: tool.tool_name, icon: "◆" };
}

/** A duration in words a person reads at a glance. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}
