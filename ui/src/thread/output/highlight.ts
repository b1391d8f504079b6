// Syntax highlighting of a file's text, line by line, as data React renders: the grammars are the
// chat's (markdown/languages.ts), the result is spans with class names and text, never markup.
import type { Element, ElementContent, Root } from "hast";
import { createLowlight } from "lowlight";

import { LANGUAGES } from "../../markdown/languages";

const lowlight = createLowlight(LANGUAGES);

/** File extensions (lower case) → the grammar of `LANGUAGES` that highlights them. */
const BY_EXTENSION: Record<string, keyof typeof LANGUAGES> = {
  bash: "bash",
  sh: "bash",
  zsh: "bash",
  c: "c",
  h: "c",
  cc: "cpp",
  cpp: "cpp",
  cxx: "cpp",
  hh: "cpp",
  hpp: "cpp",
  css: "css",
  diff: "diff",
  patch: "diff",
  go: "go",
  cfg: "ini",
  ini: "ini",
  toml: "ini",
  cjs: "javascript",
  js: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  json: "json",
  md: "markdown",
  markdown: "markdown",
  py: "python",
  rs: "rust",
  sql: "sql",
  cts: "typescript",
  mts: "typescript",
  ts: "typescript",
  tsx: "typescript",
  html: "xml",
  svg: "xml",
  xml: "xml",
  yaml: "yaml",
  yml: "yaml",
};

/** The grammar for a file, from its extension; `null` for plain text. */
export function languageOf(path: string): string | null {
  const name = path.split(/[/\\]/).pop() ?? "";
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  return BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? null;
}

/** A run of text inside its highlight spans: `classes[0]` is the outermost span's class list. */
export interface Segment {
  classes: string[][];
  text: string;
}

/** One line: its segments, without the line end. */
export type Line = Segment[];

/**
 * `text` split into lines, each a list of highlighted segments. A token that spans lines (a block
 * comment, a multi-line string) is cut at each line end and keeps its classes on every line. A
 * final line end starts no extra line.
 */
export function highlightLines(text: string, language: string | null): Line[] {
  const lines: Line[] = [[]];
  const push = (classes: string[][], value: string) => {
    const parts = value.split("\n");
    parts.forEach((part, i) => {
      if (i > 0) lines.push([]);
      if (part) lines[lines.length - 1].push({ classes, text: part.replace(/\r$/, "") });
    });
  };
  if (language === null) {
    push([], text);
  } else {
    walk(lowlight.highlight(language, text), [], push);
  }
  if (lines.length > 1 && lines[lines.length - 1].length === 0 && text.endsWith("\n")) lines.pop();
  return lines;
}

function walk(node: Root | Element, classes: string[][], push: (classes: string[][], value: string) => void) {
  node.children.forEach((child: ElementContent | Root["children"][number]) => {
    if (child.type === "text") {
      push(classes, child.value);
    } else if (child.type === "element") {
      walk(child, [...classes, classNames(child)], push);
    }
  });
}

/** The element's class names, kept only when they are highlight classes (`hljs-…`, `name_`). */
function classNames(element: Element): string[] {
  const value = element.properties.className;
  const names = Array.isArray(value) ? value.map(String) : [];
  return names.filter((name) => /^hljs-[\w-]+$/.test(name) || /^[a-z]+_+$/.test(name));
}
