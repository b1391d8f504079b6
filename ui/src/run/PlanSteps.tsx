// The run's plan as its progress: the items the model keeps with `update_plan`, each with its
// status in words, and the run's steps nested under the item that was in progress when each
// started. Plan titles are model-made text: shown as text only, bounded in length.
import { Fragment, type ReactNode } from "react";

import type { Plan, PlanItem, PlanStatus, RunView, StepRun } from "../shared/types";
import "./plan.css";

/** A status as a person reads it; colour and marks only repeat what the words say. */
export const PLAN_STATUS_WORDS: Record<PlanStatus, string> = {
  pending: "pending",
  in_progress: "in progress",
  done: "done",
};

const PLAN_STATUS_MARKS: Record<PlanStatus, string> = {
  pending: "○",
  in_progress: "▶",
  done: "✓",
};

/** The run's steps sorted under its plan. */
export interface PlanGroups {
  /** Steps started before work on any plan item: shown first. */
  before: StepRun[];
  /** Each plan item, in order, with the steps started while it was in progress. */
  items: { item: PlanItem; steps: StepRun[] }[];
  /** Later steps started while no item was in progress (after the last one was done, say). */
  after: StepRun[];
}

/**
 * Sorts `steps` (in the order they started) under the items of `plan`, by the item each step
 * was started under (`RunView.step_plan_items`). A step with no item, or an item the current
 * plan no longer has, goes before the plan when no step has been placed yet, else after it.
 */
export function groupSteps(
  plan: Plan,
  steps: readonly StepRun[],
  placement: Partial<Record<string, number>>,
): PlanGroups {
  const groups: PlanGroups = {
    before: [],
    items: plan.items.map((item) => ({ item, steps: [] })),
    after: [],
  };
  let placedYet = false;
  for (const step of steps) {
    const index = placement[step.id];
    const group = index === undefined ? undefined : groups.items[index];
    if (group) {
      group.steps.push(step);
      placedYet = true;
    } else {
      (placedYet ? groups.after : groups.before).push(step);
    }
  }
  return groups;
}

/** "2 of 5 done". */
export function progressText(plan: Plan): string {
  const done = plan.items.filter((item) => item.status === "done").length;
  return `${done} of ${plan.items.length} done`;
}

/**
 * The run's step list: as a plain list when the run has no plan, else under the plan's items.
 * `renderStep` draws one step (an `<li>`), the same wherever it is nested.
 */
export function PlanSteps({ view, renderStep }: { view: RunView; renderStep: (step: StepRun) => ReactNode }) {
  const steps = view.run?.steps ?? [];
  const list = (label: string, shown: readonly StepRun[]) => (
    <ol className="steps" aria-label={label}>
      {shown.map((step) => (
        <Fragment key={step.id}>{renderStep(step)}</Fragment>
      ))}
    </ol>
  );
  if (!view.plan) return list("Steps", steps);
  const plan = view.plan;
  const groups = groupSteps(plan, steps, view.step_plan_items);
  const done = plan.items.filter((item) => item.status === "done").length;
  return (
    <>
      {groups.before.length > 0 && list("Steps before the plan", groups.before)}
      <section className="plan" aria-labelledby="plan-heading">
        <div className="plan-head">
          <h3 id="plan-heading">Plan</h3>
          <span className="plan-progress">{progressText(plan)}</span>
        </div>
        <progress className="plan-bar" aria-label="Plan progress" max={plan.items.length} value={done} />
        {plan.note && <p className="plan-note">{plan.note}</p>}
        <ol className="plan-items" aria-label="Plan items">
          {groups.items.map(({ item, steps: under }, index) => (
            <li
              key={index}
              className={`plan-item plan-${item.status}`}
              data-plan-status={item.status}
              aria-current={item.status === "in_progress" ? "step" : undefined}
            >
              <div className="plan-item-head">
                <span className="plan-mark" aria-hidden="true">
                  {PLAN_STATUS_MARKS[item.status]}
                </span>
                <span className="plan-title">{item.title}</span>
                <span className="badge plan-status">{PLAN_STATUS_WORDS[item.status]}</span>
              </div>
              {under.length > 0 && list(`Steps for ${item.title}`, under)}
            </li>
          ))}
        </ol>
      </section>
      {groups.after.length > 0 && (
        <>
          <h3 className="plan-after">Other steps</h3>
          {list("Other steps", groups.after)}
        </>
      )}
    </>
  );
}

/** A plan as a compact checklist, e.g. in the chat's card of an `update_plan` call. */
export function PlanChecklist({ plan }: { plan: Plan }) {
  return (
    <div className="plan-checklist">
      <span className="plan-progress">{progressText(plan)}</span>
      <ul aria-label="Plan">
        {plan.items.map((item, index) => (
          <li key={index} data-plan-status={item.status} className={`plan-${item.status}`}>
            <span className="plan-mark" aria-hidden="true">
              {PLAN_STATUS_MARKS[item.status]}
            </span>{" "}
            {item.title} <span className="plan-status">({PLAN_STATUS_WORDS[item.status]})</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Most items, characters of a title and of the note: the limits the backend checks too. */
export const PLAN_LIMITS = { items: 20, titleChars: 200, noteChars: 1000 } as const;

const STATUSES: readonly PlanStatus[] = ["pending", "in_progress", "done"];

/**
 * The plan an `update_plan` input describes, or `null` when it is not a valid plan: the same
 * rules as the backend's (1 to 20 items, titles not empty and at most 200 characters, at most
 * one item in progress). For an input that arrives as untrusted JSON, e.g. in a tool card.
 */
export function planFromInput(input: unknown): Plan | null {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return null;
  const { items, note, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || !Array.isArray(items)) return null;
  if (items.length === 0 || items.length > PLAN_LIMITS.items) return null;
  const parsed: PlanItem[] = [];
  for (const item of items as unknown[]) {
    if (typeof item !== "object" || item === null || Array.isArray(item)) return null;
    const { title, status, ...extra } = item as Record<string, unknown>;
    if (Object.keys(extra).length > 0 || typeof title !== "string") return null;
    if (!STATUSES.includes(status as PlanStatus)) return null;
    const trimmed = title.trim();
    if (trimmed === "" || [...trimmed].length > PLAN_LIMITS.titleChars) return null;
    parsed.push({ title: trimmed, status: status as PlanStatus });
  }
  if (parsed.filter((item) => item.status === "in_progress").length > 1) return null;
  if (note !== undefined && note !== null && typeof note !== "string") return null;
  const trimmedNote = typeof note === "string" ? note.trim() : "";
  if ([...trimmedNote].length > PLAN_LIMITS.noteChars) return null;
  return { items: parsed, note: trimmedNote === "" ? null : trimmedNote };
}
