// The `@` mention in the composer: where it starts, what the person typed after it, and what a
// key does while the list is open. Kept apart from the components so it tests without a DOM.

/** The most files the list shows (the backend sends no more either). */
export const MENTION_LIMIT = 50;

/** An `@` at the start of a word, and the text typed after it up to the caret. */
export interface Mention {
  /** Index of the `@` in the text. */
  start: number;
  query: string;
}

/** The mention the caret is in: an `@` at the text's start or after white space, followed by
 * no white space up to the caret. `null` otherwise (an e-mail address is no mention). */
export function findMention(text: string, caret: number): Mention | null {
  const before = text.slice(0, caret);
  const match = /(^|\s)@([^\s@]*)$/.exec(before);
  if (!match) return null;
  return { start: caret - match[2].length - 1, query: match[2] };
}

/** `text` with the mention replaced by `@path` and a space; and where the caret goes. */
export function insertMention(text: string, mention: Mention, caret: number, path: string) {
  const inserted = `@${path} `;
  const next = text.slice(0, mention.start) + inserted + text.slice(caret).replace(/^ /, "");
  return { text: next, caret: mention.start + inserted.length };
}

export type MentionAction =
  { kind: "move"; active: number } | { kind: "choose"; index: number } | { kind: "close" } | null;

/** What `key` does in an open list of `count` files with `active` highlighted: Up and Down
 * move (wrapping), Enter and Tab choose, Escape closes; `null` leaves the key to the text box. */
export function mentionKey(key: string, count: number, active: number): MentionAction {
  switch (key) {
    case "ArrowDown":
      return count ? { kind: "move", active: (active + 1) % count } : null;
    case "ArrowUp":
      return count ? { kind: "move", active: (active - 1 + count) % count } : null;
    case "Enter":
    case "Tab":
      return count ? { kind: "choose", index: active } : null;
    case "Escape":
      return { kind: "close" };
    default:
      return null;
  }
}
