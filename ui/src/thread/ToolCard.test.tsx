// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { IpcError, ToolDetail, ToolUseView } from "../shared/types";
import { ToolCard } from "./ToolCard";

afterEach(cleanup);

function tool(overrides: Partial<ToolUseView>): ToolUseView {
  return {
    id: "t1",
    tool_name: "run_command",
    input_summary: "",
    output_summary: null,
    status: "Success",
    duration_ms: 40,
    run_id: "r1",
    message_id: "m1",
    step_id: null,
    progress: null,
    status_message: null,
    error: null,
    awaiting_approval: false,
    decision: null,
    ...overrides,
  };
}

/** Renders the card; its detail loads as `detail`, or fails as the backend would when `null`. */
function card(view: ToolUseView, detail: ToolDetail | null, liveOutput?: string[]) {
  const failure: IpcError = { code: "not_found", message: "no tool use t1 in run r1" };
  const loadDetail = vi.fn(() => (detail ? Promise.resolve(detail) : Promise.reject(failure)));
  render(
    <ToolCard
      tool={view}
      liveOutput={liveOutput}
      onCancel={() => {}}
      onReview={() => {}}
      loadDetail={loadDetail}
    />,
  );
  return loadDetail;
}

const COMMAND_RESULT = {
  exit_code: 2,
  signal: null,
  stderr: "error: 1 test failed\n",
  stdout: "running 4 tests\ntest a ... ok\n",
};

describe("a command's card", () => {
  const view = tool({
    input_summary: "cargo test",
    // The chat's one-line summary: the result's JSON, keys in serde_json's order.
    output_summary: JSON.stringify(COMMAND_RESULT).slice(0, 200),
  });
  const detail: ToolDetail = {
    input: { command: "cargo test" },
    output: { kind: "Json", value: COMMAND_RESULT },
    change: null,
  };

  it("shows how it ended as a badge while folded, without fetching anything", () => {
    const load = card(view, detail);
    expect(screen.getByText("exit 2").className).toContain("outcome-bad");
    expect(load).not.toHaveBeenCalled();
  });

  it("unfolds into a terminal: real lines, stderr apart, never the raw JSON", async () => {
    const load = card(view, detail);
    fireEvent.click(screen.getByRole("button", { name: "Show output" }));
    expect(load).toHaveBeenCalledWith("r1", "t1");
    const terminal = await screen.findByLabelText("Command output");
    expect(terminal.textContent).toContain("running 4 tests\ntest a ... ok\n");
    expect(terminal.textContent).not.toContain("\\n");
    expect(terminal.textContent).not.toContain("exit_code");
    expect(within(terminal).getByRole("group", { name: "Standard error" }).textContent).toContain(
      "error: 1 test failed",
    );
  });

  it("shows live output while running, stderr apart, before anything is fetched", () => {
    const load = card(tool({ status: "Running", duration_ms: null, input_summary: "make" }), detail, [
      "building",
      "stderr: warning: deprecated",
    ]);
    fireEvent.click(screen.getByRole("button", { name: "Show output" }));
    const terminal = screen.getByLabelText("Command output");
    expect(terminal.textContent).toContain("building\n");
    expect(within(terminal).getByRole("group", { name: "Standard error" }).textContent).toContain(
      "warning: deprecated",
    );
    expect(load).not.toHaveBeenCalled();
  });

  it("says a command that was stopped for time timed out", () => {
    card(
      tool({
        status: "Failed",
        error: "the command did not finish within 5 s and was stopped",
        input_summary: "sleep 9",
      }),
      { input: { command: "sleep 9" }, output: null, change: null },
    );
    screen.getByText("timed out");
  });
});

describe("other cards", () => {
  it("a read shows numbered code from the read's first line", async () => {
    card(tool({ tool_name: "read_file", input_summary: "src/lib.rs", output_summary: "pub fn a() {}" }), {
      input: { path: "src/lib.rs", start_line: 12, end_line: 13 },
      output: { kind: "Text", value: "pub fn a() {}\npub fn b() {}\n" },
      change: null,
    });
    fireEvent.click(screen.getByRole("button", { name: "Show output" }));
    await screen.findByLabelText("src/lib.rs, lines 12–13");
    expect([...document.querySelectorAll(".line-no")].map((n) => n.textContent)).toEqual(["12", "13"]);
  });

  it("a write shows its diff", async () => {
    card(tool({ tool_name: "write_file", input_summary: "README.md", output_summary: "wrote README.md" }), {
      input: { path: "README.md", content: "# new\n" },
      output: { kind: "Text", value: "wrote README.md (6 bytes, was 6 bytes)" },
      change: {
        path: "README.md",
        sequence: 9,
        diff: "--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-# old\n+# new\n",
        truncated: false,
      },
    });
    fireEvent.click(screen.getByRole("button", { name: "Show output" }));
    const diff = await screen.findByLabelText("Changes to README.md");
    expect(diff.querySelector(".diff-add")?.textContent).toBe("+# new\n");
    expect(diff.querySelector(".diff-del")?.textContent).toBe("-# old\n");
  });

  it("a plan update shows the plan as a checklist", async () => {
    card(
      tool({
        tool_name: "update_plan",
        input_summary: '{"items":[{"status":"done"',
        output_summary: "Plan updated: 1 of 2 done; in progress: Fix the bug.",
      }),
      {
        input: {
          items: [
            { title: "Read the code", status: "done" },
            { title: "Fix the bug", status: "in_progress" },
          ],
        },
        output: { kind: "Text", value: "plan updated" },
        change: null,
      },
    );
    const header = screen.getByRole("article");
    expect(header.getAttribute("aria-label")).toBe(
      "Update plan: Plan updated: 1 of 2 done; in progress: Fix the bug.",
    );
    expect(header.textContent, "the header says it in words, not the input's JSON").not.toContain('{"items"');
    fireEvent.click(screen.getByRole("button", { name: "Show output" }));
    const plan = await screen.findByRole("list", { name: "Plan" });
    expect(plan.textContent).toContain("Read the code");
    expect(plan.textContent).toContain("in progress");
  });

  it("an unknown tool's JSON reads as text, not escaped JSON", async () => {
    card(tool({ tool_name: "lookup", input_summary: "x", output_summary: "{...}" }), {
      input: {},
      output: { kind: "Json", value: { answer: "line one\nline two" } },
      change: null,
    });
    fireEvent.click(screen.getByRole("button", { name: "Show output" }));
    const output = await screen.findByLabelText("Tool output");
    expect(output.textContent).toBe("answer:\n  line one\n  line two");
  });

  it("says so when the output cannot be loaded", async () => {
    card(tool({ tool_name: "read_file", input_summary: "a" }), null);
    fireEvent.click(screen.getByRole("button", { name: "Show output" }));
    await screen.findByText(/The output could not be loaded: That no longer exists/);
  });

  it("offers no output while it waits for approval", () => {
    card(tool({ tool_name: "write_file", status: "Pending", awaiting_approval: true, duration_ms: null }), {
      input: {},
      output: null,
      change: null,
    });
    expect(screen.queryByRole("button", { name: "Show output" })).toBeNull();
    screen.getByRole("button", { name: "Review and approve" });
  });
});
