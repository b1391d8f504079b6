// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeBackend } from "../backend/fake";
import type { Run, RunView } from "../shared/types";
import { RunPanel } from "./RunPanel";

afterEach(cleanup);

function run(id: string, status: Run["status"]): Run {
  return {
    id,
    thread_id: "thread",
    agent_name: "coder",
    steps: [],
    status,
    cost: { input_tokens: 10, output_tokens: 2, total_tokens: 12, usd_cents: 0 },
    started_at: "2026-01-02T03:04:05Z",
    completed_at: null,
    duration_ms: 1200,
  };
}

function view(r: Run, end: Partial<Pick<RunView, "end_reason" | "stopped_at_turn_limit">> = {}): RunView {
  return {
    run_id: r.id,
    run: r,
    tool_uses: [],
    artifacts: [],
    plan: null,
    step_plan_items: {},
    end_reason: null,
    stopped_at_turn_limit: false,
    ...end,
  };
}

const STOPPED = "the model made 40 calls without finishing; stopped";

function panel(runs: Run[], views: Record<string, RunView>, continueRun = vi.fn(async () => "next")) {
  const onSelectRun = vi.fn();
  const backend = fakeBackend({
    threadRuns: async () => runs,
    runPanel: async (id) => ({ view: views[id], waiting: [] }),
    continueRun,
    onViewChange: () => () => {},
  });
  render(<RunPanel backend={backend} threadId="thread" runId={runs[0].id} onSelectRun={onSelectRun} />);
  return { continueRun, onSelectRun };
}

describe("RunPanel", () => {
  it("offers Continue on a run stopped at its turn limit, and shows the new run", async () => {
    const stopped = run("a", "Failed");
    const { continueRun, onSelectRun } = panel([stopped], {
      a: view(stopped, { end_reason: STOPPED, stopped_at_turn_limit: true }),
    });
    expect(await screen.findByText(STOPPED)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    await waitFor(() => expect(onSelectRun).toHaveBeenCalledWith("next"));
    expect(continueRun).toHaveBeenCalledWith("a");
  });

  it("says why a run ended without offering Continue for other endings", async () => {
    const failed = run("a", "Failed");
    panel([failed], { a: view(failed, { end_reason: "the provider refused the request" }) });
    expect(await screen.findByText("the provider refused the request")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Continue" })).toBeNull();
  });

  it("offers Continue only on the thread's newest run", async () => {
    const newer = run("b", "Success");
    const stopped = run("a", "Failed");
    const onSelectRun = vi.fn();
    const backend = fakeBackend({
      threadRuns: async () => [newer, stopped],
      runPanel: async (id) => ({
        view: id === "a" ? view(stopped, { end_reason: STOPPED, stopped_at_turn_limit: true }) : view(newer),
        waiting: [],
      }),
      onViewChange: () => () => {},
    });
    render(<RunPanel backend={backend} threadId="thread" runId="a" onSelectRun={onSelectRun} />);
    expect(await screen.findByText(STOPPED)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Continue" })).toBeNull();
  });

  it("shows a refused Continue in words", async () => {
    const stopped = run("a", "Failed");
    const refuse = vi.fn(async () => {
      throw { code: "illegal_transition", message: "the thread went on since" };
    });
    panel([stopped], { a: view(stopped, { end_reason: STOPPED, stopped_at_turn_limit: true }) }, refuse);
    fireEvent.click(await screen.findByRole("button", { name: "Continue" }));
    expect((await screen.findByRole("alert")).textContent).toContain("cannot be done");
  });
});
