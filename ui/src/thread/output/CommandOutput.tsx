import { useState } from "react";

import type { TerminalLine } from "./command";

/** Lines shown before "Show all": the tail, where a command's verdict usually is. */
export const TAIL_LINES = 200;

/**
 * A command's output as a terminal shows it: real line breaks, stderr set apart (marked and
 * coloured, and a labelled group for screen readers), the tool's notes of what it left out in
 * their own style. Long output shows its last `TAIL_LINES` lines until the person asks for all.
 * Live output and the finished result look the same. Plain text: nothing in it is markup.
 */
export function CommandOutput({
  command,
  lines,
  running,
}: {
  /** The command line, shown first as a prompt; `null` when unknown. */
  command: string | null;
  lines: readonly TerminalLine[];
  running: boolean;
}) {
  const [all, setAll] = useState(false);
  const hidden = all ? 0 : Math.max(0, lines.length - TAIL_LINES);
  const shown = hidden > 0 ? lines.slice(hidden) : lines;
  return (
    <div className="terminal-view">
      <pre className="tool-output terminal" tabIndex={0} aria-label="Command output">
        {command !== null && (
          <span className="term-command">
            <span className="term-prompt" aria-hidden="true">
              ${" "}
            </span>
            {command}
            {"\n"}
          </span>
        )}
        {hidden > 0 && (
          <span className="term-note">{`[${hidden.toLocaleString("en")} earlier lines not shown]\n`}</span>
        )}
        {groups(shown).map((group, i) =>
          group.stream === "err" ? (
            <span key={i} className="term-err" role="group" aria-label="Standard error">
              <span className="term-tag" aria-hidden="true">
                stderr
              </span>
              {text(group.lines)}
            </span>
          ) : (
            <span key={i} className={group.stream === "note" ? "term-note" : "term-out"}>
              {text(group.lines)}
            </span>
          ),
        )}
        {lines.length === 0 && (
          <span className="term-note">{running ? "Waiting for output…" : "(no output)"}</span>
        )}
      </pre>
      {hidden > 0 && (
        <button type="button" className="quiet" onClick={() => setAll(true)}>
          Show all {lines.length.toLocaleString("en")} lines
        </button>
      )}
    </div>
  );
}

/** Lines joined with real line ends, the last one ended too so the next group starts a line. */
function text(lines: readonly TerminalLine[]): string {
  return lines.map((line) => `${line.text}\n`).join("");
}

/** Consecutive lines of one stream, together. */
function groups(lines: readonly TerminalLine[]): { stream: TerminalLine["stream"]; lines: TerminalLine[] }[] {
  const out: { stream: TerminalLine["stream"]; lines: TerminalLine[] }[] = [];
  for (const line of lines) {
    const last = out[out.length - 1];
    if (last && last.stream === line.stream) last.lines.push(line);
    else out.push({ stream: line.stream, lines: [line] });
  }
  return out;
}
