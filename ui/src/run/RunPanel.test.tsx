// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeBackend, fakeViews } from "../backend/fake";
import type { Run, RunView, WaitingStep } from "../shared/types";
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
    step_reasons: {},
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

const COMMAND: WaitingStep = {
  step_id: "step-1",
  tool_use_id: "tool-1",
  preview: { kind: "command", command: "rm -rf target" },
};

/** The run's own change, as the backend sends it for every event of the run. */
const RUN_CHANGED = { kind: "run", run_id: "a", thread_id: "thread" } as const;

/** A frame passes, so a coalesced reload would have run. */
const nextFrame = () => act(() => new Promise<void>((done) => requestAnimationFrame(() => done())));

/**
 * A run waiting for the person on one command. Deciding it is an event of the run: the backend
 * records it, and the panel learns of it by the run's view change alone.
 */
function waitingRun() {
  let current = run("a", "WaitingForApproval");
  let waiting = [COMMAND];
  const decide = () => {
    current = { ...current, status: "Running" };
    waiting = [];
  };
  const approveStep = vi.fn(async () => decide());
  const rejectStep = vi.fn(async () => decide());
  const runPanel = vi.fn(async () => ({ view: view(current), waiting }));
  const views = fakeViews();
  const backend = fakeBackend(
    {
      threadRuns: async () => [current],
      runPanel,
      approveStep,
      rejectStep,
      ruleSuggestion: async () => null,
    },
    views,
  );
  render(<RunPanel backend={backend} threadId="thread" runId={null} onSelectRun={vi.fn()} />);
  return { approveStep, rejectStep, runPanel, views };
}

describe("RunPanel approvals", () => {
  it("approves a waiting step and shows the run going on once the run changes", async () => {
    const { approveStep, runPanel, views } = waitingRun();
    fireEvent.click(await screen.findByRole("button", { name: "Approve" }));
    await waitFor(() => expect(approveStep).toHaveBeenCalledWith("a", "step-1"));
    await nextFrame();
    const reads = runPanel.mock.calls.length;
    expect(screen.getByRole("region", { name: "Waiting for approval" }), "nothing changed yet").toBeTruthy();

    act(() => views.change(RUN_CHANGED));
    await waitFor(() => expect(screen.queryByRole("region", { name: "Waiting for approval" })).toBeNull());
    expect(screen.getByText("Running")).toBeTruthy();
    expect(
      runPanel,
      "the run's change reads the panel once; the approval's answer does not",
    ).toHaveBeenCalledTimes(reads + 1);
  });

  it("rejects with the reason typed, then clears it", async () => {
    const { rejectStep, views } = waitingRun();
    const reason = await screen.findByLabelText(/Reason if you reject/);
    fireEvent.change(reason, { target: { value: "not the whole target folder" } });
    fireEvent.click(screen.getByRole("button", { name: "Reject" }));
    await waitFor(() =>
      expect(rejectStep).toHaveBeenCalledWith("a", "step-1", "not the whole target folder"),
    );
    await waitFor(() => expect((reason as HTMLInputElement).value).toBe(""));

    act(() => views.change(RUN_CHANGED));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Reject" })).toBeNull());
  });

  it("rejects without a reason as none", async () => {
    const { rejectStep } = waitingRun();
    fireEvent.click(await screen.findByRole("button", { name: "Reject" }));
    await waitFor(() => expect(rejectStep).toHaveBeenCalledWith("a", "step-1", null));
  });

  it("shows a refused approval in words and keeps the step waiting", async () => {
    const { approveStep } = waitingRun();
    approveStep.mockImplementationOnce(async () => {
      throw { code: "illegal_transition", message: "the step was decided already" };
    });
    fireEvent.click(await screen.findByRole("button", { name: "Approve" }));
    expect((await screen.findByRole("alert")).textContent).toContain("cannot be done");
    expect(screen.getByRole("button", { name: "Approve" })).toBeTruthy();
  });
});
