// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { PRETTY_CHARS, prettyOutput, prettyValue } from "./pretty";
import { TEXT_LINES, TextOutput } from "./TextOutput";

afterEach(cleanup);

describe("pretty text of any output", () => {
  it("writes JSON as indented fields whose texts keep real line breaks", () => {
    const text = prettyValue({
      count: 2,
      matches: ["src/a.rs:3: fn a()", "src/b.rs:9: fn b()"],
      body: "one\ntwo\n",
    });
    expect(text).toBe(
      [
        "count: 2",
        "matches:",
        "  - src/a.rs:3: fn a()",
        "  - src/b.rs:9: fn b()",
        "body:",
        "  one",
        "  two",
      ].join("\n"),
    );
    expect(text).not.toContain("\\n");
    expect(text).not.toContain('"');
  });

  it("nests objects in lists and says when one is empty", () => {
    expect(prettyValue([{ path: "a", size: 1 }, {}, []])).toBe(
      ["-", "  path: a", "  size: 1", "-", "  (empty)", "-", "  (none)"].join("\n"),
    );
    expect(prettyValue({ ok: true, missing: null })).toBe("ok: true\nmissing: null");
  });

  it("stops at a bound however large the value is", () => {
    const huge = { lines: Array.from({ length: 100_000 }, (_, i) => `entry number ${i}`) };
    const text = prettyValue(huge);
    expect(text.length).toBeLessThan(PRETTY_CHARS + 100);
    expect(text.endsWith("[… the rest is not shown]")).toBe(true);
  });

  it("shows each output kind in words", () => {
    expect(prettyOutput({ kind: "Text", value: "a\nb" })).toBe("a\nb");
    expect(prettyOutput({ kind: "Empty" })).toBe("(no output)");
    expect(prettyOutput({ kind: "File", value: { path: "out.png", mime_type: "image/png" } })).toBe(
      "out.png (image/png)",
    );
    expect(prettyOutput({ kind: "Binary", value: "AAAA" })).toBe("3 bytes of binary data");
  });
});

describe("a text output", () => {
  it("keeps real line breaks and is never markup", () => {
    render(<TextOutput text={"first\n<b>second</b>"} />);
    const output = screen.getByLabelText("Tool output");
    expect(output.textContent).toBe("first\n<b>second</b>");
    expect(output.querySelector("b")).toBeNull();
  });

  it("shows the first lines of a long text and all of it on request", () => {
    const text = Array.from({ length: TEXT_LINES + 5 }, (_, i) => `row ${i}`).join("\n");
    render(<TextOutput text={text} />);
    expect(screen.getByLabelText("Tool output").textContent).not.toContain(`row ${TEXT_LINES}`);
    fireEvent.click(screen.getByRole("button", { name: `Show all ${TEXT_LINES + 5} lines` }));
    expect(screen.getByLabelText("Tool output").textContent).toContain(`row ${TEXT_LINES + 4}`);
  });
});
