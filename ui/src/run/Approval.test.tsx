// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeBackend } from "../backend/fake";
import type { PermissionRule, RuleSuggestion, StepRun, WaitingStep } from "../shared/types";
import { Approval } from "./Approval";
import { StepPolicy } from "./StepPolicy";

afterEach(cleanup);

const COMMAND: WaitingStep = {
  step_id: "step-1",
  tool_use_id: "tool-1",
  preview: { kind: "command", command: "cargo test -p coder-agent" },
};

const CARGO_TEST: RuleSuggestion = {
  rule: { effect: "allow", tool: "run_command", pattern: "cargo test" },
  label: "cargo test …",
};

function card(backend = fakeBackend({}), handlers = { onApprove: vi.fn(), onReject: vi.fn() }) {
  render(
    <Approval
      step={COMMAND}
      reason=""
      onReason={() => {}}
      onApprove={handlers.onApprove}
      onReject={handlers.onReject}
      backend={backend}
      runId="run-1"
    />,
  );
  return handlers;
}

const ALWAYS = /Always allow cargo test … in this project/;

describe("always allow", () => {
  it("offers the suggested rule, adds it to the project and approves in one click", async () => {
    const alwaysAllowStep = vi.fn<(run: string, step: string, rule: PermissionRule) => Promise<void>>(
      async () => {},
    );
    const ruleSuggestion = vi.fn(async () => CARGO_TEST);
    const { onApprove } = card(fakeBackend({ ruleSuggestion, alwaysAllowStep }));
    const button = await screen.findByRole("button", { name: ALWAYS });
    expect(ruleSuggestion).toHaveBeenCalledWith("run-1", "step-1");
    expect(button.getAttribute("aria-describedby")).toBeTruthy();
    expect(screen.getByText(/allow run_command cargo test” to this project/)).toBeTruthy();
    fireEvent.click(button);
    expect(alwaysAllowStep).toHaveBeenCalledWith("run-1", "step-1", CARGO_TEST.rule);
    expect(onApprove).not.toHaveBeenCalled();
  });

  it("is not offered when there is no sensible rule", async () => {
    const ruleSuggestion = vi.fn(async () => null);
    card(fakeBackend({ ruleSuggestion }));
    await vi.waitFor(() => expect(ruleSuggestion).toHaveBeenCalled());
    expect(screen.queryByRole("button", { name: /Always allow/ })).toBeNull();
    expect(screen.getByRole("button", { name: "Approve" })).toBeTruthy();
  });

  it("is not offered without a backend, and Approve and Reject still work", () => {
    const onApprove = vi.fn();
    const onReject = vi.fn();
    render(
      <Approval step={COMMAND} reason="" onReason={() => {}} onApprove={onApprove} onReject={onReject} />,
    );
    expect(screen.queryByRole("button", { name: /Always allow/ })).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Approve" }));
    fireEvent.click(screen.getByRole("button", { name: "Reject" }));
    expect(onApprove).toHaveBeenCalledOnce();
    expect(onReject).toHaveBeenCalledOnce();
  });

  it("says in words why it failed, and can be tried again", async () => {
    const alwaysAllowStep = vi.fn(async () => {
      throw { code: "approval_already_decided", message: "step was already approved" };
    });
    card(fakeBackend({ ruleSuggestion: async () => CARGO_TEST, alwaysAllowStep }));
    fireEvent.click(await screen.findByRole("button", { name: ALWAYS }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "This step was already approved or rejected.",
    );
    expect((screen.getByRole("button", { name: ALWAYS }) as HTMLButtonElement).disabled).toBe(false);
  });

  it("shows a label from the model as text, never as markup", async () => {
    const hostile: RuleSuggestion = { ...CARGO_TEST, label: "<img src=x onerror=alert(1)> …" };
    card(fakeBackend({ ruleSuggestion: async () => hostile }));
    const button = await screen.findByRole("button", { name: /Always allow/ });
    expect(button.querySelector("img")).toBeNull();
    expect(button.textContent).toContain("<img src=x onerror=alert(1)> …");
  });
});

function toolStep(patch: Partial<StepRun>): StepRun {
  return {
    id: "s",
    step_type: {
      kind: "ToolCall",
      tool_use_id: "t",
      tool_name: "run_command",
      gate: { kind: "NeedsApproval" },
    },
    description: "Run `cargo test`",
    status: "Success",
    progress: 1,
    result: null,
    started_at: "2026-01-02T03:04:05Z",
    completed_at: null,
    decision: null,
    cost: null,
    ...patch,
  };
}

describe("the rule that decided a step", () => {
  it("names the rule a step ran without asking under, its pattern as code", () => {
    const gate = { kind: "PreApproved" as const, policy: "rule `cargo test*` (project)" };
    const { container } = render(
      <StepPolicy
        step={toolStep({ step_type: { kind: "ToolCall", tool_use_id: "t", tool_name: "run_command", gate } })}
      />,
    );
    expect(container.textContent).toBe("ran without asking — rule cargo test* (project)");
    expect(container.querySelector("code")?.textContent).toBe("cargo test*");
  });

  it("names the rule that denied a step", () => {
    const { container } = render(
      <StepPolicy
        step={toolStep({
          status: "Skipped",
          decision: {
            verdict: "Rejected",
            by: { kind: "Policy", rule: "rule `rm *` (global)" },
            reason: "denied by rule `rm *` (global)",
          },
        })}
      />,
    );
    expect(container.textContent).toBe("denied by rule rm * (global)");
  });

  it("says nothing for a step the person decided", () => {
    const { container } = render(
      <StepPolicy step={toolStep({ decision: { verdict: "Approved", by: { kind: "Person" } } })} />,
    );
    expect(container.textContent).toBe("");
  });
});

describe("a call a rule made wait", () => {
  it("names the rule on the approval card", () => {
    const ruleSuggestion = vi.fn(async () => null);
    render(
      <Approval
        step={COMMAND}
        askedBy="rule `cargo *` (project)"
        reason=""
        onReason={() => {}}
        onApprove={() => {}}
        onReject={() => {}}
        backend={fakeBackend({ ruleSuggestion })}
        runId="run-1"
      />,
    );
    const note = screen.getByText(/It waits for you because of/);
    expect(note.textContent).toBe("It waits for you because of rule cargo * (project).");
    expect(note.querySelector("code")?.textContent, "the pattern is set as code").toBe("cargo *");
  });

  it("says so on the step after the person decided", () => {
    const step: StepRun = {
      id: "step-1",
      step_type: {
        kind: "ToolCall",
        tool_use_id: "tool-1",
        tool_name: "run_command",
        gate: { kind: "NeedsApproval" },
      },
      description: "Run `cargo build`",
      status: "Success",
      progress: 1,
      result: { kind: "Success" },
      decision: { verdict: "Approved", by: { kind: "Person" }, reason: null },
      cost: null,
    } as StepRun;
    render(<StepPolicy step={step} askedBy="rule `cargo *` (project)" />);
    expect(screen.getByText(/asked you/).textContent).toBe("asked you — rule cargo * (project)");
  });
});
