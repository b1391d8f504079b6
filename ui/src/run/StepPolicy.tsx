import type { StepRun } from "../shared/types";
import "./rules.css";

/** `text` with its `quoted` parts (rule patterns) set as code. */
export function withCode(text: string) {
  return text.split("`").map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}

/**
 * What decided a tool step without the person, from the log: the rule (or read-only policy)
 * that let it run without asking, the rule that refused it, or the rule that made it wait for
 * the person (`askedBy`). Nothing for a step that waited only because its tool writes or runs.
 */
export function StepPolicy({ step, askedBy = null }: { step: StepRun; askedBy?: string | null }) {
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
  if (askedBy) {
    return <p className="note step-policy">asked you — {withCode(askedBy)}</p>;
  }
  return null;
}
