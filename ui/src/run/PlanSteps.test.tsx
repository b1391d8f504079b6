// @vitest-environment jsdom
import { cleanup, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import type { Plan, PlanStatus, RunView, StepRun } from "../shared/types";
import { groupSteps, PlanChecklist, planFromInput, PlanSteps, progressText } from "./PlanSteps";

afterEach(cleanup);

function step(id: string, description: string): StepRun {
  return {
    id,
    step_type: { kind: "ModelCall" },
    description,
    status: "Success",
    progress: 1,
    result: { kind: "Success" },
    started_at: "2026-01-02T03:04:05Z",
    completed_at: "2026-01-02T03:04:06Z",
    decision: null,
    cost: null,
  };
}

function plan(...items: [string, PlanStatus][]): Plan {
  return { items: items.map(([title, status]) => ({ title, status })), note: null };
}

function view(steps: StepRun[], shown: Plan | null, placement: Record<string, number>): RunView {
  return {
    run_id: "run",
    run: {
      id: "run",
      thread_id: "thread",
      agent_name: "coder",
      steps,
      status: "Running",
      cost: { input_tokens: 0, output_tokens: 0, total_tokens: 0, usd_cents: 0 },
      started_at: "2026-01-02T03:04:05Z",
      completed_at: null,
      duration_ms: null,
    },
    tool_uses: [],
    artifacts: [],
    end_reason: null,
    stopped_at_turn_limit: false,
    step_reasons: {},
    plan: shown,
    step_plan_items: placement,
  };
}

const STEPS = [
  step("s1", "Model call 1"),
  step("s2", "Update the plan"),
  step("s3", "Read src/parser.rs"),
  step("s4", "Update the plan"),
  step("s5", "Edit src/parser.rs"),
  step("s6", "Model call 4"),
];

/** Read, then fix; the test item not started. Steps 3 and 4 under reading, 5 under fixing. */
const PLAN = plan(
  ["Read the parser", "done"],
  ["Fix the off-by-one", "in_progress"],
  ["Run the tests", "pending"],
);
const PLACEMENT = { s3: 0, s4: 0, s5: 1 };

const renderStep = (s: StepRun) => <li data-step={s.id}>{s.description}</li>;

function stepsIn(list: HTMLElement): string[] {
  return Array.from(list.querySelectorAll("li[data-step]"), (li) => li.getAttribute("data-step") ?? "");
}

describe("groupSteps", () => {
  it("puts each step under its item, earlier unplaced steps first and later ones after", () => {
    const groups = groupSteps(PLAN, STEPS, PLACEMENT);
    expect(groups.before.map((s) => s.id)).toEqual(["s1", "s2"]);
    expect(groups.items.map((g) => g.steps.map((s) => s.id))).toEqual([["s3", "s4"], ["s5"], []]);
    expect(groups.after.map((s) => s.id)).toEqual(["s6"]);
  });

  it("treats an item the current plan no longer has as no item", () => {
    const groups = groupSteps(plan(["Only one", "in_progress"]), STEPS.slice(0, 3), { s2: 0, s3: 5 });
    expect(groups.before.map((s) => s.id)).toEqual(["s1"]);
    expect(groups.items[0].steps.map((s) => s.id)).toEqual(["s2"]);
    expect(groups.after.map((s) => s.id)).toEqual(["s3"]);
  });
});

describe("PlanSteps", () => {
  it("shows a plain step list when the run has no plan", () => {
    render(<PlanSteps view={view(STEPS.slice(0, 2), null, {})} renderStep={renderStep} />);
    expect(stepsIn(screen.getByRole("list", { name: "Steps" }))).toEqual(["s1", "s2"]);
    expect(screen.queryByRole("heading", { name: "Plan" })).toBeNull();
  });

  it("nests the steps under the item that was in progress, with earlier steps first", () => {
    const { container } = render(<PlanSteps view={view(STEPS, PLAN, PLACEMENT)} renderStep={renderStep} />);
    const before = screen.getByRole("list", { name: "Steps before the plan" });
    expect(stepsIn(before)).toEqual(["s1", "s2"]);
    expect(stepsIn(screen.getByRole("list", { name: "Steps for Read the parser" }))).toEqual(["s3", "s4"]);
    expect(stepsIn(screen.getByRole("list", { name: "Steps for Fix the off-by-one" }))).toEqual(["s5"]);
    expect(screen.queryByRole("list", { name: "Steps for Run the tests" })).toBeNull();
    expect(stepsIn(screen.getByRole("list", { name: "Other steps" }))).toEqual(["s6"]);
    // In the document's order: the earlier steps come before the plan, the later ones after it.
    const order = stepsIn(container as HTMLElement);
    expect(order).toEqual(["s1", "s2", "s3", "s4", "s5", "s6"]);
    const planSection = screen.getByRole("region", { name: "Plan" });
    expect(before.compareDocumentPosition(planSection) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("says each item's status in words and marks the one in progress", () => {
    render(<PlanSteps view={view(STEPS, PLAN, PLACEMENT)} renderStep={renderStep} />);
    const items = within(screen.getByRole("list", { name: "Plan items" })).getAllByRole("listitem");
    const top = items.filter((li) => li.classList.contains("plan-item"));
    const words = top.map((li) => li.querySelector(".plan-status")?.textContent);
    expect(words).toEqual(["done", "in progress", "pending"]);
    expect(top.map((li) => li.getAttribute("aria-current"))).toEqual([null, "step", null]);
    // The marks are decoration; the accessible text of an item carries the words.
    expect(top[1].textContent).toContain("Fix the off-by-one");
    expect(top[1].querySelector(".plan-mark")?.getAttribute("aria-hidden")).toBe("true");
  });

  it("counts the items done", () => {
    render(<PlanSteps view={view(STEPS, PLAN, PLACEMENT)} renderStep={renderStep} />);
    expect(screen.getByText("1 of 3 done")).toBeTruthy();
    const bar = screen.getByRole("progressbar", { name: "Plan progress" });
    expect([bar.getAttribute("value"), bar.getAttribute("max")]).toEqual(["1", "3"]);
    expect(
      progressText(plan(["a", "done"], ["b", "done"], ["c", "pending"], ["d", "pending"], ["e", "done"])),
    ).toBe("3 of 5 done");
  });

  it("shows model-made titles and notes as text", () => {
    const hostile = {
      ...plan(["<img src=x onerror=alert(1)>", "in_progress"]),
      note: "<script>x()</script>",
    };
    const { container } = render(<PlanSteps view={view([], hostile, {})} renderStep={renderStep} />);
    expect(container.querySelector("img, script")).toBeNull();
    expect(screen.getByText("<img src=x onerror=alert(1)>")).toBeTruthy();
    expect(screen.getByText("<script>x()</script>")).toBeTruthy();
  });
});

describe("PlanChecklist", () => {
  it("lists the items with their statuses in words and the progress", () => {
    render(<PlanChecklist plan={PLAN} />);
    const items = within(screen.getByRole("list", { name: "Plan" })).getAllByRole("listitem");
    expect(items.map((li) => li.textContent)).toEqual([
      "✓ Read the parser (done)",
      "▶ Fix the off-by-one (in progress)",
      "○ Run the tests (pending)",
    ]);
    expect(screen.getByText("1 of 3 done")).toBeTruthy();
  });
});

describe("planFromInput", () => {
  it("reads a valid update_plan input, trimmed", () => {
    expect(
      planFromInput({
        items: [
          { title: " Read ", status: "done" },
          { title: "Fix", status: "in_progress" },
        ],
        note: " why ",
      }),
    ).toEqual({
      items: [
        { title: "Read", status: "done" },
        { title: "Fix", status: "in_progress" },
      ],
      note: "why",
    });
  });

  it("refuses what the backend refuses", () => {
    const item = (title: unknown, status: unknown) => ({ title, status });
    const bad: unknown[] = [
      null,
      "plan",
      [],
      {},
      { items: [] },
      { items: [item("a", "done")], extra: 1 },
      { items: [{ ...item("a", "done"), x: 1 }] },
      { items: [item("", "done")] },
      { items: [item(7, "done")] },
      { items: [item("a", "started")] },
      { items: [item("a", "in_progress"), item("b", "in_progress")] },
      { items: [item("t".repeat(201), "done")] },
      { items: Array.from({ length: 21 }, (_, i) => item(`item ${i}`, "pending")) },
      { items: [item("a", "done")], note: 3 },
    ];
    for (const input of bad) expect(planFromInput(input), JSON.stringify(input)).toBeNull();
    expect(planFromInput({ items: [item("é".repeat(200), "done")] })).not.toBeNull();
  });
});
