import { common, type LanguageFn } from "lowlight";

/// The languages fenced code is highlighted in; a fence naming anything else shows as plain code.
/// Each grammar's own aliases come with it (`rs`, `ts`/`tsx`, `js`/`jsx`, `py`, `sh`/`zsh`, `yml`,
/// `toml` (ini), `html`/`svg` (xml), `cc`/`hpp`, `golang`, `md`).
///
/// Bundle note: rehype-highlight imports lowlight's whole `common` set (37 grammars) whatever is
/// registered, so this list fixes which fences are highlighted but does not shrink the bundle
/// (measured: rehype-highlight alone ~171 kB minified; lowlight with only these grammars ~82 kB).
export const LANGUAGES: Record<string, LanguageFn> = {
  bash: common.bash,
  c: common.c,
  cpp: common.cpp,
  css: common.css,
  diff: common.diff,
  go: common.go,
  ini: common.ini,
  javascript: common.javascript,
  json: common.json,
  markdown: common.markdown,
  python: common.python,
  rust: common.rust,
  sql: common.sql,
  typescript: common.typescript,
  xml: common.xml,
  yaml: common.yaml,
};

/// `shell` means a script in chat, not hljs's prompt-and-output "shell session" grammar.
export const ALIASES: Record<string, string[]> = { bash: ["shell"] };
