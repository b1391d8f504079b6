import { describe as suite, expect, it } from "vitest";

import { describe, isErrorCode, KNOWN_CODES } from "./errors";

suite("error table", () => {
  it("has words for a person, not a code, for every code", () => {
    // `Record<ErrorCode, string>` already makes tsc refuse a missing code; this checks the words.
    for (const code of KNOWN_CODES) {
      const words = describe({ code, message: "backend message" });
      expect(words, code).not.toBe("backend message");
      expect(words, code).toMatch(/^[A-Z].*\.$/);
      expect(words, code).not.toMatch(/[a-z]_[a-z]/);
    }
  });

  it("uses the table's words, not the backend's message, for a known code", () => {
    expect(describe({ code: "approval_already_decided", message: "step s was already approved" })).toBe(
      "This step was already approved or rejected.",
    );
  });

  it("has words for the code the UI sets when the call itself fails", () => {
    expect(isErrorCode("ipc_failed")).toBe(true);
  });

  it("falls back to the backend's message for an unknown code", () => {
    expect(isErrorCode("something_new")).toBe(false);
    expect(describe({ code: "something_new", message: "Something new went wrong" })).toBe(
      "Something new went wrong",
    );
  });

  it("does not take inherited object keys for codes", () => {
    expect(isErrorCode("toString")).toBe(false);
    expect(describe({ code: "constructor", message: "fallback" })).toBe("fallback");
  });
});
