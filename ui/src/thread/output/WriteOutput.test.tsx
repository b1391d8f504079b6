// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { DIFF_LINES, WriteOutput } from "./WriteOutput";

afterEach(cleanup);

const DIFF = [
  "--- a/README.md",
  "+++ b/README.md",
  "@@ -1,3 +1,4 @@",
  " # inventory",
  "-Old line.",
  "+New line.",
  "+## Usage",
  " Keeps stock counts.",
  "",
].join("\n");

function rows(className: string): string[] {
  return [...document.querySelectorAll(`.${className}`)].map((row) =>
    (row.textContent ?? "").replace(/\n$/, ""),
  );
}

describe("a write", () => {
  it("shows its change as diff rows, each marked by what it does", () => {
    render(<WriteOutput change={{ path: "README.md", sequence: 7, diff: DIFF, truncated: false }} />);
    screen.getByLabelText("Changes to README.md");
    expect(rows("diff-file")).toEqual(["--- a/README.md", "+++ b/README.md"]);
    expect(rows("diff-hunk")).toEqual(["@@ -1,3 +1,4 @@"]);
    expect(rows("diff-del")).toEqual(["-Old line."]);
    expect(rows("diff-add")).toEqual(["+New line.", "+## Usage"]);
    expect(rows("diff-context")).toEqual([" # inventory", " Keeps stock counts."]);
  });

  it("shows the first lines of a long diff and all of them on request", () => {
    const long = [
      "--- /dev/null",
      "+++ b/big.txt",
      ...Array.from({ length: DIFF_LINES + 10 }, (_, i) => `+${i}`),
    ].join("\n");
    render(<WriteOutput change={{ path: "big.txt", sequence: 3, diff: long, truncated: false }} />);
    expect(rows("diff-add")).toHaveLength(DIFF_LINES - 2);
    fireEvent.click(screen.getByRole("button", { name: `Show all ${DIFF_LINES + 12} lines` }));
    expect(rows("diff-add")).toHaveLength(DIFF_LINES + 10);
  });

  it("says when the diff was cut before it reached the card", () => {
    render(<WriteOutput change={{ path: "big.txt", sequence: 3, diff: DIFF, truncated: true }} />);
    screen.getByText(/the Files tab has all of it/);
  });

  it("shows markup in the file as the characters it is", () => {
    const diff = "--- a/x.html\n+++ b/x.html\n@@ -0,0 +1 @@\n+<img src=x onerror=alert(1)>\n";
    render(<WriteOutput change={{ path: "x.html", sequence: 1, diff, truncated: false }} />);
    expect(document.querySelector("img")).toBeNull();
    expect(rows("diff-add")).toEqual(["+<img src=x onerror=alert(1)>"]);
  });
});
