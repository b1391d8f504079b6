// What `run_command` reports, read into lines of a terminal and an outcome. The shapes come from
// crates/coder-agent/src/tools/run_command.rs: the result is JSON `{exit_code, signal, stdout,
// stderr}`; live progress comes line by line, each stderr line prefixed with `STDERR_PREFIX`; a
// stream longer than the tool keeps starts with a note `[… N bytes …]`.
import type { ToolOutput, ToolUseView } from "../../shared/types";

/** Prefix of a live progress line that came from stderr (run_command.rs `STDERR_PREFIX`). */
export const STDERR_PREFIX = "stderr: ";

/** One line of a terminal: from stdout, from stderr, or a note the tool added (`[… N bytes …]`). */
export interface TerminalLine {
  stream: "out" | "err" | "note";
  text: string;
}

/** A finished command's result. */
export interface CommandResult {
  /** `null` when the command was ended by a signal. */
  exitCode: number | null;
  signal: number | null;
  /** stdout's lines, then stderr's: the tool keeps the two apart, so their order is lost. */
  lines: TerminalLine[];
}

/** How a command ended, as its badge says it. */
export interface Outcome {
  text: string;
  ok: boolean;
}

/** A note the tool puts where it left output out: `[… 1,234 bytes …]`. */
const NOTE = /^\[… [^\]]*\]$/;

/** The result a run_command output holds; `null` when it is not that shape. */
export function commandResult(output: ToolOutput | null): CommandResult | null {
  if (output?.kind !== "Json") return null;
  const value = output.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { exit_code, signal, stdout, stderr } = value;
  const code = numberOrNull(exit_code);
  const sig = numberOrNull(signal);
  if (code === undefined || sig === undefined || typeof stdout !== "string" || typeof stderr !== "string") {
    return null;
  }
  return {
    exitCode: code,
    signal: sig,
    lines: [...streamLines(stdout, "out"), ...streamLines(stderr, "err")],
  };
}

function numberOrNull(value: unknown): number | null | undefined {
  if (value === null) return null;
  return typeof value === "number" && Number.isInteger(value) ? value : undefined;
}

/** One stream's text as lines: a final line end starts no empty line, `\r\n` is a line end, and
 * the tool's note of what it left out stands apart. */
export function streamLines(text: string, stream: "out" | "err"): TerminalLine[] {
  if (text === "") return [];
  const lines = text.replace(/\r?\n$/, "").split(/\r?\n/);
  return lines.map((line, i) => ({ stream: i === 0 && NOTE.test(line) ? "note" : stream, text: line }));
}

/** Live progress lines as terminal lines: the stderr prefix becomes the line's stream. */
export function liveLines(lines: readonly string[]): TerminalLine[] {
  return lines.map((line) => {
    const err = line.startsWith(STDERR_PREFIX);
    const text = err ? line.slice(STDERR_PREFIX.length) : line;
    return { stream: NOTE.test(text) ? "note" : err ? "err" : "out", text };
  });
}

/**
 * The start of a run_command output summary. The card's one-line summary is the result's JSON,
 * whose keys serde_json writes in alphabetical order, so exit code and signal lead it and a
 * finished card can show its badge before the whole output is fetched.
 */
const SUMMARY = /^\{"exit_code":(-?\d+|null),"signal":(\d+|null),/;

/** Exit code and signal read from a card's output summary; `null` when it does not start so. */
export function resultFromSummary(summary: string | null): Omit<CommandResult, "lines"> | null {
  const found = summary === null ? null : SUMMARY.exec(summary);
  if (!found) return null;
  const read = (s: string) => (s === "null" ? null : Number(s));
  return { exitCode: read(found[1]), signal: read(found[2]) };
}

/** run_command.rs `ToolError::Timeout`: "the command did not finish within N s and was stopped". */
const TIMED_OUT = /did not finish within \d+ s/;

/** How the command ended, for its badge; `null` while it runs or when nothing says. */
export function commandOutcome(
  tool: ToolUseView,
  result: Omit<CommandResult, "lines"> | null,
): Outcome | null {
  if (tool.status === "Failed" && tool.error && TIMED_OUT.test(tool.error)) {
    return { text: "timed out", ok: false };
  }
  if (!result) return null;
  if (result.signal !== null) return { text: `killed by ${signalName(result.signal)}`, ok: false };
  if (result.exitCode !== null) return { text: `exit ${result.exitCode}`, ok: result.exitCode === 0 };
  return null;
}

/** Linux signal numbers a command is commonly ended by. */
const SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  24: "SIGXCPU",
  25: "SIGXFSZ",
};

/** `SIGKILL` for 9; `signal 42` for a number without a common name. */
export function signalName(signal: number): string {
  return SIGNALS[signal] ?? `signal ${signal}`;
}
