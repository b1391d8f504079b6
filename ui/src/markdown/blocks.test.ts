import { describe, expect, it } from "vitest";

import { splitBlocks } from "./blocks";

describe("splitBlocks", () => {
  it("cuts at blank lines and loses nothing", () => {
    const text = "# Title\n\nFirst paragraph\nstill first.\n\n- a\n- b\n\nlast";
    const blocks = splitBlocks(text);
    expect(blocks.join("")).toBe(text);
    expect(blocks.length).toBe(4);
    expect(blocks[3]).toBe("last");
  });

  it("keeps a fenced code block with blank lines in one piece", () => {
    const text = "Here:\n\n```rust\nfn a() {}\n\nfn b() {}\n```\n\nDone.";
    const blocks = splitBlocks(text);
    expect(blocks.join("")).toBe(text);
    expect(blocks.some((b) => b.includes("fn a() {}\n\nfn b() {}"))).toBe(true);
    expect(blocks[blocks.length - 1]).toBe("Done.");
  });

  it("keeps an unfinished fence with the rest of the text", () => {
    const text = "Intro\n\n```\ncode\n\nmore";
    expect(splitBlocks(text)).toEqual(["Intro\n\n", "```\ncode\n\nmore"]);
  });

  it("finished blocks stay the same as text arrives", () => {
    const before = splitBlocks("One.\n\nTwo is bei");
    const after = splitBlocks("One.\n\nTwo is being written.\n\nThree");
    expect(after[0]).toBe(before[0]);
  });
});
