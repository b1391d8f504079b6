import { useId, useRef, useState } from "react";

import type { Backend } from "../backend";
import { describe } from "../shared/errors";
import type { IpcError, ListedRule, PermissionRule, Project, RuleEffect } from "../shared/types";
import { useAsync } from "../shared/useAsync";
import "./rules.css";

/** The tools a rule can name, `*` first: every tool. */
const TOOLS = ["*", "run_command", "write_file", "edit_file", "read_file", "list_files", "search"];

const EFFECTS: [RuleEffect, string][] = [
  ["allow", "Allow (run without asking)"],
  ["ask", "Ask (always wait for me)"],
  ["deny", "Deny (refuse)"],
];

/** Where the rules shown live: the global ones, or a project's (by id). */
const GLOBAL = "";

/** Errors about a rule keep the backend's own words too: they say what in the pattern is wrong. */
function explain(error: IpcError): string {
  return error.code.startsWith("rule_pattern") || error.code === "rule_tool_unknown"
    ? `${describe(error)} ${error.message}`
    : describe(error);
}

/**
 * Permission rules, a project's or the global ones: listed with a Remove button each, and a row
 * to add one. Changes are saved at once (a project's rules in its log, global ones in the
 * settings file); `onGlobalRules` receives the global rules after each change, so a settings form
 * saved afterwards keeps them.
 */
export function RulesField({
  backend,
  projects,
  currentProjectId,
  onGlobalRules,
}: {
  backend: Backend;
  projects: readonly Project[];
  currentProjectId: string | null;
  onGlobalRules: (rules: PermissionRule[]) => void;
}) {
  const id = useId();
  const [scope, setScope] = useState<string>(() =>
    projects.some((p) => p.id === currentProjectId) ? currentProjectId! : GLOBAL,
  );
  const projectId = scope === GLOBAL ? null : scope;
  const rules = useAsync(() => backend.listRules(projectId), [backend, projectId]);
  const [effect, setEffect] = useState<RuleEffect>("allow");
  const [tool, setTool] = useState("run_command");
  const [pattern, setPattern] = useState("");
  const [error, setError] = useState<string | null>(null);
  const patternInput = useRef<HTMLInputElement>(null);
  const shown = (rules.value ?? []).filter((r) => r.scope === (projectId ? "project" : "global"));
  const scopeName = projectId
    ? (projects.find((p) => p.id === projectId)?.name ?? "this project")
    : "every project";
  const noteId = `${id}-note`;
  const errorId = `${id}-error`;

  const changed = () => {
    setError(null);
    rules.reload();
    if (projectId === null) {
      backend.listRules(null).then(
        (all) => onGlobalRules(all.map((r) => r.rule)),
        () => {},
      );
    }
  };

  const add = () => {
    const rule: PermissionRule = { effect, tool, pattern };
    backend.addRule(projectId, rule).then(
      () => {
        setPattern("");
        changed();
        patternInput.current?.focus();
      },
      (e: IpcError) => {
        setError(explain(e));
        patternInput.current?.focus();
      },
    );
  };

  const remove = (listed: ListedRule) =>
    backend.removeRule(projectId, listed.rule).then(
      () => {
        changed();
        patternInput.current?.focus();
      },
      (e: IpcError) => setError(explain(e)),
    );

  return (
    <fieldset className="rules">
      <legend>Permission rules</legend>
      <p className="note" id={noteId}>
        Allow runs a tool call without asking, Ask always waits for you, Deny refuses it. Deny wins over ask,
        ask over allow. A command pattern like <code>cargo test*</code> or <code>git status</code> (and what
        follows it) must match every command of a chain such as <code>a &amp;&amp; b</code>; a file pattern is
        a glob from the project root, like <code>src/**</code> or <code>!.env</code>.
      </p>
      <label className="field">
        Rules of
        <select value={scope} onChange={(e) => setScope(e.target.value)}>
          <option value={GLOBAL}>Every project (global)</option>
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name} ({p.path})
            </option>
          ))}
        </select>
      </label>
      {/* Not an alert: nothing the person just did failed; the list could not be read. */}
      {rules.error && <p className="error">The rules could not be read: {rules.error}</p>}
      {rules.value && shown.length === 0 && <p className="note">No rules for {scopeName} yet.</p>}
      {shown.length > 0 && (
        <ul className="rule-list" aria-label={`Rules of ${scopeName}`}>
          {shown.map((listed) => {
            const { effect, tool, pattern } = listed.rule;
            const name = `${effect} ${tool} ${pattern}`;
            return (
              <li key={`${effect}\u0000${tool}\u0000${pattern}`} className="rule">
                <span className={`badge rule-${effect}`}>{effect}</span> <code>{tool}</code>{" "}
                <code className="rule-pattern">{pattern}</code>
                {listed.always_allow && <span className="note"> (always allow, from before rules)</span>}{" "}
                <button
                  type="button"
                  className="quiet"
                  aria-label={`Remove rule ${name}`}
                  onClick={() => remove(listed)}
                >
                  Remove
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <div className="row rule-add">
        <label className="field">
          Effect
          <select value={effect} onChange={(e) => setEffect(e.target.value as RuleEffect)}>
            {EFFECTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Tool
          <select value={tool} onChange={(e) => setTool(e.target.value)}>
            {TOOLS.map((t) => (
              <option key={t} value={t}>
                {t === "*" ? "* (every tool)" : t}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          Pattern
          <input
            ref={patternInput}
            value={pattern}
            placeholder={tool === "run_command" ? "e.g. cargo test*" : "e.g. src/**"}
            spellCheck={false}
            autoCapitalize="off"
            autoCorrect="off"
            aria-invalid={error !== null}
            aria-describedby={error ? `${errorId} ${noteId}` : noteId}
            onChange={(e) => setPattern(e.target.value)}
            onKeyDown={(e) => {
              // Enter adds the rule; it must not submit the settings form around the field.
              if (e.key === "Enter") {
                e.preventDefault();
                add();
              }
            }}
          />
        </label>
        <button type="button" onClick={add}>
          Add rule
        </button>
      </div>
      {error && (
        <p id={errorId} role="alert" className="error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
