import { describe, expect, it } from "vitest";

import { plain } from "./ThreadRow";

describe("thread previews", () => {
  it("show Markdown as plain words", () => {
    expect(plain("**inventory** keeps `stock.json` [docs](https://x.y)")).toBe(
      "inventory keeps stock.json docs",
    );
    expect(plain("## Usage")).toBe("Usage");
    expect(plain("plain text")).toBe("plain text");
  });
});
