import { useState } from "react";

/** Lines shown before "Show all". */
export const TEXT_LINES = 400;

/**
 * Text a tool returned, with its real line breaks; a long one shows its first `TEXT_LINES` lines
 * until the person asks for all. Plain text: nothing in it is markup.
 */
export function TextOutput({ text, label = "Tool output" }: { text: string; label?: string }) {
  const [all, setAll] = useState(false);
  const lines = text.split("\n");
  const cut = !all && lines.length > TEXT_LINES;
  return (
    <div className="text-view">
      <pre className="tool-output" tabIndex={0} aria-label={label}>
        {cut ? lines.slice(0, TEXT_LINES).join("\n") : text}
      </pre>
      {cut && (
        <button type="button" className="quiet" onClick={() => setAll(true)}>
          Show all {lines.length.toLocaleString("en")} lines
        </button>
      )}
    </div>
  );
}
