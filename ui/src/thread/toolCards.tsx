// Tool cards by tool name: each tool says how its card is titled and how its output reads — a
// command as a terminal, a read as code, a write as its diff, a plan as a checklist. Tools
// without an entry show their output as plain text.
import type { ReactNode } from "react";

import { PlanChecklist, planFromInput } from "../run/PlanSteps";
import type { JsonValue, ToolDetail, ToolUseView } from "../shared/types";
import { commandResult, liveLines } from "./output/command";
import { CommandOutput } from "./output/CommandOutput";
import { prettyOutput } from "./output/pretty";
import { ReadOutput } from "./output/ReadOutput";
import { TextOutput } from "./output/TextOutput";
import { WriteOutput } from "./output/WriteOutput";

/** What a card's output is drawn from. */
export interface OutputProps {
  tool: ToolUseView;
  /** The call's input, whole output and change; `null` while the tool runs. */
  detail: ToolDetail | null;
  /** Output lines streamed while the tool ran, in this window. */
  liveOutput: readonly string[] | undefined;
}

interface ToolCardKind {
  /** The card's title, e.g. "Run command". */
  label: string;
  /** A glyph shown before the title. */
  icon: string;
  /** The card's output, once unfolded. */
  Output: (props: OutputProps) => ReactNode;
  /** What the header says the call is about; the input's one-line summary when absent. */
  about?: (tool: ToolUseView) => string;
}

/** What a card's header says the call is about. */
export function toolAbout(kind: ToolCardKind, tool: ToolUseView): string {
  return kind.about?.(tool) ?? tool.input_summary;
}

const KINDS: Record<string, ToolCardKind> = {
  run_command: { label: "Run command", icon: "▶", Output: CommandCard },
  write_file: { label: "Write file", icon: "✎", Output: WriteCard },
  edit_file: { label: "Edit file", icon: "✎", Output: WriteCard },
  read_file: { label: "Read file", icon: "▤", Output: ReadCard },
  list_files: { label: "List files", icon: "☰", Output: TextCard },
  search: { label: "Search", icon: "◎", Output: TextCard },
  // The plan's input is JSON; its result says it in words ("Plan updated: 1 of 3 done; …").
  update_plan: {
    label: "Update plan",
    icon: "☑",
    Output: PlanCard,
    about: (tool) => tool.output_summary ?? tool.error ?? "the run's plan",
  },
};

export function toolCardKind(tool: ToolUseView): ToolCardKind {
  return KINDS[tool.tool_name] ?? { label: tool.tool_name, icon: "◆", Output: TextCard };
}

/** A duration in words a person reads at a glance. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The terminal: the result once finished, the live lines until then (or when it has none). */
function CommandCard(props: OutputProps) {
  const { tool, detail, liveOutput } = props;
  const result = commandResult(detail?.output ?? null);
  if (detail?.output && !result) return <TextCard {...props} />;
  return (
    <CommandOutput
      command={textField(detail?.input, "command") ?? tool.input_summary}
      lines={result ? result.lines : liveLines(liveOutput ?? [])}
      running={tool.status === "Running" || tool.status === "Pending"}
    />
  );
}

/** The text read, as code numbered from the read's first line. */
function ReadCard(props: OutputProps) {
  const { tool, detail } = props;
  if (detail?.output?.kind !== "Text") return <TextCard {...props} />;
  return (
    <ReadOutput
      path={textField(detail.input, "path") ?? tool.input_summary}
      text={detail.output.value}
      startLine={lineField(detail.input, "start_line") ?? 1}
    />
  );
}

/** The diff of the change the write made; its summary when it recorded none. */
function WriteCard(props: OutputProps) {
  const change = props.detail?.change;
  return change ? <WriteOutput change={change} /> : <TextCard {...props} />;
}

/** The plan the call set, as a checklist; a call whose input is not a plan shows as text. */
function PlanCard(props: OutputProps) {
  const plan = props.detail ? planFromInput(props.detail.input) : null;
  return plan ? <PlanChecklist plan={plan} /> : <TextCard {...props} />;
}

/** The output as readable text; while the tool runs, the lines it streamed. */
function TextCard({ detail, liveOutput }: OutputProps) {
  if (detail?.output) return <TextOutput text={prettyOutput(detail.output)} />;
  if (!detail && liveOutput && liveOutput.length > 0) return <TextOutput text={liveOutput.join("\n")} />;
  return null;
}

/** A text field of a tool's input. */
function textField(input: JsonValue | undefined, name: string): string | null {
  const value = fieldOf(input, name);
  return typeof value === "string" ? value : null;
}

/** A line number in a tool's input: a whole number from 1. */
function lineField(input: JsonValue | undefined, name: string): number | null {
  const value = fieldOf(input, name);
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;
}

function fieldOf(input: JsonValue | undefined, name: string): JsonValue | undefined {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined;
  return input[name];
}
