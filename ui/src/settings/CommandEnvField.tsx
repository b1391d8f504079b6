import { useId, type Ref } from "react";

import type { Project } from "../shared/types";
import { namesError, parseNames } from "./envNames";

/**
 * The environment variables one project's commands may see despite the scrubbed environment,
 * as one line of names; with several projects, a list chooses which project the line is for.
 * Words that cannot be variable names are shown as an error under the field.
 */
export function CommandEnvField({
  projects,
  shown,
  text,
  inputRef,
  onShow,
  onText,
}: {
  projects: readonly Project[];
  /** The path of the project whose names the field shows. */
  shown: string;
  text: string;
  inputRef: Ref<HTMLInputElement>;
  onShow: (path: string) => void;
  onText: (path: string, text: string) => void;
}) {
  const id = useId();
  const project = projects.find((p) => p.path === shown);
  if (!project) return null;
  const error = namesError(parseNames(text).invalid);
  const noteId = `${id}-note`;
  const errorId = `${id}-error`;
  return (
    <fieldset>
      <legend>Environment variables commands may see</legend>
      <p className="note" id={noteId}>
        Commands run without variables that look like secrets (API keys, tokens, passwords). Names listed here
        reach them anyway. Separate names with commas or spaces.
      </p>
      {projects.length > 1 && (
        <label className="field">
          Project
          <select value={project.path} onChange={(e) => onShow(e.target.value)}>
            {projects.map((p) => (
              <option key={p.id} value={p.path}>
                {p.name} ({p.path})
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="field">
        Variables that commands in {project.name} may see
        <input
          ref={inputRef}
          value={text}
          placeholder="e.g. GITHUB_TOKEN, NPM_TOKEN"
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          aria-invalid={error !== null}
          aria-describedby={error ? `${errorId} ${noteId}` : noteId}
          onChange={(e) => onText(project.path, e.target.value)}
        />
      </label>
      {error && (
        <p id={errorId} role="alert" className="error">
          {error}
        </p>
      )}
    </fieldset>
  );
}
