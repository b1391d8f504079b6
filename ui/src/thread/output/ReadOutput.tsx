import { Fragment, useMemo, useState, type CSSProperties, type ReactNode } from "react";

import "../../markdown/markdown.css";
import { highlightLines, languageOf, type Segment } from "./highlight";

/** Lines shown (and highlighted) before "Show all". */
export const HEAD_LINES = 400;

/** read_file's note for a binary file, which it returns instead of the content. */
const BINARY = /^.+ is a binary file \(\d+ bytes\); its content is not shown\.$/;

/**
 * What a read returned, as code: highlighted in the language its extension names, with line
 * numbers counting from where the read started. A long read shows its first `HEAD_LINES` lines
 * until the person asks for all. Rendered from highlight data, never as markup.
 */
export function ReadOutput({ path, text, startLine }: { path: string; text: string; startLine: number }) {
  const [all, setAll] = useState(false);
  const total = useMemo(() => countLines(text), [text]);
  // Only the lines shown are highlighted: a huge file costs what the screen shows.
  const shownText = all || total <= HEAD_LINES ? text : headOf(text, HEAD_LINES);
  const language = languageOf(path);
  const lines = useMemo(() => highlightLines(shownText, language), [shownText, language]);
  if (BINARY.test(text.trim())) return <p className="note">{text}</p>;
  if (total === 0) return <p className="note">The read returned no text.</p>;
  const last = startLine + total - 1;
  const gutter = { "--gutter": `${String(last).length}ch` } as CSSProperties;
  return (
    <div className="markdown read-view">
      <pre
        className="tool-output code-view"
        tabIndex={0}
        aria-label={`${path}, lines ${startLine}–${last}`}
        style={gutter}
      >
        <code className={language ? `hljs language-${language}` : undefined}>
          {lines.map((segments, i) => (
            <span key={i} className="code-line">
              <span className="line-no" aria-hidden="true">
                {startLine + i}
              </span>
              {segments.map(render)}
              {"\n"}
            </span>
          ))}
        </code>
      </pre>
      {lines.length < total && (
        <button type="button" className="quiet" onClick={() => setAll(true)}>
          Show all {total.toLocaleString("en")} lines
        </button>
      )}
    </div>
  );
}

/** A segment inside its highlight spans, outermost first. */
function render(segment: Segment, key: number) {
  const inner = segment.classes.reduceRight<ReactNode>(
    (child, classes) => <span className={classes.join(" ") || undefined}>{child}</span>,
    segment.text,
  );
  return <Fragment key={key}>{inner}</Fragment>;
}

/** Lines of `text`; a final line end starts no extra line. */
function countLines(text: string): number {
  if (text === "") return 0;
  let count = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count += 1;
  return text.endsWith("\n") ? count - 1 : count;
}

/** The first `count` lines of `text`, with their line ends. */
function headOf(text: string, count: number): string {
  let end = -1;
  for (let i = 0; i < count; i += 1) {
    end = text.indexOf("\n", end + 1);
    if (end === -1) return text;
  }
  return text.slice(0, end + 1);
}
