import type { StepRun } from "../shared/types";
import "./rules.css";

/** `text` with its `quoted` parts (rule patterns) set as code. */
function withCode(text: string) {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/**
 * What decided a tool step without the person, from the log: the rule (or read-only policy)
 * that let it run without asking, or the rule that refused it. Nothing for a step the person
 * decided or that still waits.
 */
export function StepPolicy({ step }: { step: StepRun }) {
  const type = step.step_type;
  if (type.kind === "ToolCall" && type.gate.kind === "PreApproved") {
    return <p className="note step-policy">ran without asking — {withCode(type.gate.policy)}</p>;
  }
  const by = step.decision?.by;
  if (by?.kind === "Policy") {
    const said =
      step.decision?.reason ??
      `${step.decision?.verdict === "Approved" ? "approved" : "refused"} by ${by.rule}`;
    return <p className="note step-policy">{withCode(said)}</p>;
  }
  return null;
}
