import { describe, expect, it } from "vitest";

import { formatNames, namesError, parseNames, withDrafts } from "./envNames";

describe("parseNames", () => {
  it("takes names separated by commas, spaces or both, in the order typed", () => {
    expect(parseNames(" GITHUB_TOKEN,NPM_TOKEN  _private,\tA1 ")).toEqual({
      names: ["GITHUB_TOKEN", "NPM_TOKEN", "_private", "A1"],
      invalid: [],
    });
  });

  it("counts a repeated name once", () => {
    expect(parseNames("A, A B, A").names).toEqual(["A", "B"]);
  });

  it("sets apart words a shell would not take as a variable name", () => {
    expect(parseNames("OK 1ST A-B $HOME é").invalid).toEqual(["1ST", "A-B", "$HOME", "é"]);
  });

  it("reads an empty or blank line as no names", () => {
    expect(parseNames("")).toEqual({ names: [], invalid: [] });
    expect(parseNames(" , ")).toEqual({ names: [], invalid: [] });
  });

  it("reads back what formatNames shows", () => {
    const names = ["A", "B_2"];
    expect(parseNames(formatNames(names)).names).toEqual(names);
  });
});

describe("namesError", () => {
  it("is null when every word is a name", () => {
    expect(namesError([])).toBeNull();
  });

  it("quotes each bad word and says what a name may hold", () => {
    expect(namesError(["A-B"])).toBe(
      "“A-B” is not a variable name. Use letters, digits and underscores, not starting with a digit.",
    );
    expect(namesError(["1X", "A-B"])).toMatch(/^“1X”, “A-B” are not variable names\./);
  });
});

describe("withDrafts", () => {
  it("replaces edited projects, drops emptied ones and keeps the rest", () => {
    const saved = { "/a": ["X"], "/b": ["Y"], "/gone": ["Z"] };
    expect(withDrafts(saved, { "/a": "X, W", "/b": " ", "/new": "N" })).toEqual({
      "/a": ["X", "W"],
      "/gone": ["Z"],
      "/new": ["N"],
    });
  });

  it("does not change the saved map it is given", () => {
    const saved = { "/a": ["X"] };
    withDrafts(saved, { "/a": "" });
    expect(saved).toEqual({ "/a": ["X"] });
  });
});
