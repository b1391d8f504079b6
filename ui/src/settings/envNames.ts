// The environment variables a project's commands may see although commands run with an
// environment scrubbed of secrets: the settings' `command_env_allow`, keyed by the project's path
// as the project stores it, and edited as one line of names per project.

/** A variable name as shells accept it: letters, digits and underscores, not starting with a digit. */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The names typed in a field, and the words among them that cannot be names. */
export interface TypedNames {
  readonly names: string[];
  readonly invalid: string[];
}

/** Reads names separated by commas or spaces, in the order typed; repeats count once. */
export function parseNames(text: string): TypedNames {
  const names: string[] = [];
  const invalid: string[] = [];
  for (const word of text.split(/[\s,]+/)) {
    if (word === "") continue;
    const into = NAME.test(word) ? names : invalid;
    if (!into.includes(word)) into.push(word);
  }
  return { names, invalid };
}

/** The line a field shows for saved names. */
export function formatNames(names: readonly string[]): string {
  return names.join(", ");
}

/** What is wrong with a field's words, in a sentence; `null` when every word is a name. */
export function namesError(invalid: readonly string[]): string | null {
  if (invalid.length === 0) return null;
  const quoted = invalid.map((word) => `“${word}”`).join(", ");
  const verb = invalid.length === 1 ? "is not a variable name" : "are not variable names";
  return `${quoted} ${verb}. Use letters, digits and underscores, not starting with a digit.`;
}

/**
 * `allow` with each drafted project's names in place of what it had: a project whose field is
 * empty is dropped, and projects without a draft keep their names (including paths of projects
 * this window does not list). Call it only when no draft has invalid words.
 */
export function withDrafts(
  allow: Partial<Record<string, string[]>>,
  drafts: Readonly<Record<string, string>>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [path, names] of Object.entries(allow)) if (names) out[path] = names;
  for (const [path, text] of Object.entries(drafts)) {
    const { names } = parseNames(text);
    if (names.length > 0) out[path] = names;
    else delete out[path];
  }
  return out;
}
