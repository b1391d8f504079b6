// Tool outputs and inputs of any shape as text a person reads: a text as it is, JSON as indented
// `key: value` lines whose texts keep their real line breaks — never JSON with `\n` escapes.
import type { JsonValue, ToolOutput } from "../../shared/types";

/** Most characters of pretty text made from one value; the rest is left out with a note. */
export const PRETTY_CHARS = 200_000;

/** A tool's output as readable text. */
export function prettyOutput(output: ToolOutput): string {
  switch (output.kind) {
    case "Text":
      return output.value;
    case "Json":
      return prettyValue(output.value);
    case "Binary":
      return `${Math.floor((output.value.length * 3) / 4).toLocaleString("en")} bytes of binary data`;
    case "File":
      return `${output.value.path} (${output.value.mime_type})`;
    case "Empty":
      return "(no output)";
  }
}

/**
 * A JSON value as indented lines: scalars as written, a text as its characters (several lines
 * indented under its key), arrays as `- ` items, objects as `key: value`. At most
 * `PRETTY_CHARS` characters.
 */
export function prettyValue(value: JsonValue): string {
  const out: string[] = [];
  let size = 0;
  const emit = (line: string) => {
    if (size > PRETTY_CHARS) return;
    size += line.length + 1;
    out.push(size > PRETTY_CHARS ? "[… the rest is not shown]" : line);
  };
  write(value, "", emit);
  return out.join("\n");
}

function write(value: JsonValue, indent: string, emit: (line: string) => void) {
  if (Array.isArray(value)) {
    if (value.length === 0) emit(`${indent}(none)`);
    value.forEach((item) => entry(`${indent}- `, `${indent}  `, item, emit));
  } else if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value);
    if (keys.length === 0) emit(`${indent}(empty)`);
    keys.forEach((key) => entry(`${indent}${key}: `, `${indent}  `, value[key], emit));
  } else {
    scalarLines(value).forEach((line) => emit(`${indent}${line}`));
  }
}

/** One item or field: `lead` then a one-line value, or `lead` alone and the value below. */
function entry(lead: string, indent: string, value: JsonValue, emit: (line: string) => void) {
  const nested = typeof value === "object" && value !== null;
  const lines = nested ? null : scalarLines(value);
  if (lines && lines.length === 1) {
    emit(`${lead}${lines[0]}`);
    return;
  }
  emit(lead.trimEnd());
  if (lines) lines.forEach((line) => emit(`${indent}${line}`));
  else write(value, indent, emit);
}

function scalarLines(value: string | number | boolean | null): string[] {
  if (typeof value === "string") return value.replace(/\r?\n$/, "").split(/\r?\n/);
  return [String(value)];
}
