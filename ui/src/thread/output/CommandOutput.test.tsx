// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { ToolUseView } from "../../shared/types";
import { commandOutcome, commandResult, liveLines, resultFromSummary, signalName } from "./command";
import { CommandOutput, TAIL_LINES } from "./CommandOutput";

afterEach(cleanup);

function tool(overrides: Partial<ToolUseView> = {}): ToolUseView {
  return {
    id: "t",
    tool_name: "run_command",
    input_summary: "make test",
    output_summary: null,
    status: "Success",
    duration_ms: 12,
    run_id: "r",
    message_id: "m",
    step_id: null,
    progress: null,
    status_message: null,
    error: null,
    awaiting_approval: false,
    decision: null,
    ...overrides,
  };
}

const RESULT = {
  kind: "Json" as const,
  value: {
    exit_code: 2,
    signal: null,
    stdout: "compiling\nrunning 3 tests\n",
    stderr: "warning: unused variable\nerror: test failed\n",
  },
};

describe("a finished command", () => {
  it("shows stdout with real line breaks and stderr apart, labelled for screen readers", () => {
    const result = commandResult(RESULT);
    expect(result).not.toBeNull();
    render(<CommandOutput command="make test" lines={result!.lines} running={false} />);
    const terminal = screen.getByLabelText("Command output");
    const text = terminal.textContent ?? "";
    expect(text).toContain("compiling\nrunning 3 tests\n");
    expect(text).not.toContain("\\n");
    expect(text).not.toContain('"stdout"');
    const stderr = within(terminal).getByRole("group", { name: "Standard error" });
    expect(stderr.textContent).toContain("warning: unused variable\nerror: test failed\n");
    expect(stderr.textContent).not.toContain("compiling");
    expect(terminal.querySelector(".term-command")?.textContent).toBe("$ make test\n");
  });

  it("sets the tool's note of what it left out apart from the output", () => {
    const lines = commandResult({
      kind: "Json",
      value: {
        exit_code: 0,
        signal: null,
        stdout: "[… 90,000 bytes in 3,000 lines; the last 65,536 bytes follow]\nline 2999\nline 3000\n",
        stderr: "",
      },
    })!.lines;
    expect(lines.map((l) => l.stream)).toEqual(["note", "out", "out"]);
    render(<CommandOutput command={null} lines={lines} running={false} />);
    expect(document.querySelector(".term-note")?.textContent).toMatch(/^\[… 90,000 bytes/);
  });

  it("says so when it printed nothing", () => {
    const lines = commandResult({
      kind: "Json",
      value: { exit_code: 0, signal: null, stdout: "", stderr: "" },
    })!.lines;
    render(<CommandOutput command="true" lines={lines} running={false} />);
    expect(screen.getByLabelText("Command output").textContent).toContain("(no output)");
  });

  it("is not read as a command result when the shape differs", () => {
    expect(commandResult({ kind: "Text", value: "hello" })).toBeNull();
    expect(
      commandResult({ kind: "Json", value: { exit_code: "2", signal: null, stdout: "", stderr: "" } }),
    ).toBeNull();
    expect(commandResult({ kind: "Json", value: [1, 2] })).toBeNull();
    expect(commandResult(null)).toBeNull();
  });
});

describe("live output", () => {
  it("looks the same: stderr lines, known by their prefix, set apart in order", () => {
    const lines = liveLines(["compiling", "stderr: warning: unused", "stderr: note: here", "done"]);
    expect(lines).toEqual([
      { stream: "out", text: "compiling" },
      { stream: "err", text: "warning: unused" },
      { stream: "err", text: "note: here" },
      { stream: "out", text: "done" },
    ]);
    render(<CommandOutput command="cargo build" lines={lines} running />);
    const terminal = screen.getByLabelText("Command output");
    const stderr = within(terminal).getByRole("group", { name: "Standard error" });
    expect(stderr.textContent).toContain("warning: unused\nnote: here\n");
    expect(stderr.textContent).not.toContain("stderr: ");
    const order = terminal.textContent ?? "";
    expect(order.indexOf("compiling")).toBeLessThan(order.indexOf("warning"));
    expect(order.indexOf("warning")).toBeLessThan(order.indexOf("done"));
  });

  it("shows the preview's note of skipped output as a note, from either stream", () => {
    expect(
      liveLines(["[… 2,048 bytes not shown]", "stderr: [… 10 bytes not shown]"]).map((l) => l.stream),
    ).toEqual(["note", "note"]);
  });

  it("waits visibly before the first line", () => {
    render(<CommandOutput command="sleep 1" lines={[]} running />);
    expect(screen.getByLabelText("Command output").textContent).toContain("Waiting for output…");
  });
});

describe("long output", () => {
  it("shows the tail first and all of it on request", () => {
    const stdout = Array.from({ length: 500 }, (_, i) => `line ${i + 1}`).join("\n");
    const lines = commandResult({
      kind: "Json",
      value: { exit_code: 0, signal: null, stdout, stderr: "" },
    })!.lines;
    render(<CommandOutput command={null} lines={lines} running={false} />);
    const terminal = screen.getByLabelText("Command output");
    expect(terminal.textContent).toContain("line 500\n");
    expect(terminal.textContent).toContain(`line ${500 - TAIL_LINES + 1}\n`);
    expect(terminal.textContent).not.toContain(`line ${500 - TAIL_LINES}\n`);
    expect(terminal.textContent).toContain(`[${500 - TAIL_LINES} earlier lines not shown]`);
    fireEvent.click(screen.getByRole("button", { name: "Show all 500 lines" }));
    expect(terminal.textContent).toContain("line 1\nline 2\n");
    expect(screen.queryByRole("button", { name: /Show all/ })).toBeNull();
  });
});

describe("the outcome badge", () => {
  it("names the exit code, green only for 0", () => {
    expect(commandOutcome(tool(), { exitCode: 0, signal: null })).toEqual({ text: "exit 0", ok: true });
    expect(commandOutcome(tool(), { exitCode: 2, signal: null })).toEqual({ text: "exit 2", ok: false });
  });

  it("names the signal that killed the command", () => {
    expect(commandOutcome(tool(), { exitCode: null, signal: 9 })).toEqual({
      text: "killed by SIGKILL",
      ok: false,
    });
    expect(commandOutcome(tool(), { exitCode: null, signal: 15 })?.text).toBe("killed by SIGTERM");
    expect(signalName(42)).toBe("signal 42");
  });

  it("says a command that ran out of time timed out", () => {
    const failed = tool({ status: "Failed", error: "the command did not finish within 5 s and was stopped" });
    expect(commandOutcome(failed, null)).toEqual({ text: "timed out", ok: false });
    expect(commandOutcome(tool({ status: "Failed", error: "cannot start sh" }), null)).toBeNull();
    expect(commandOutcome(tool({ status: "Running" }), null)).toBeNull();
  });

  it("is read from the card's one-line summary before the whole output is fetched", () => {
    expect(resultFromSummary('{"exit_code":2,"signal":null,"stderr":"error: x","stdout":"…')).toEqual({
      exitCode: 2,
      signal: null,
    });
    expect(resultFromSummary('{"exit_code":null,"signal":9,"stderr":"","stdout":""}')).toEqual({
      exitCode: null,
      signal: 9,
    });
    expect(resultFromSummary("wrote README.md (10 bytes)")).toBeNull();
    expect(resultFromSummary(null)).toBeNull();
  });
});
