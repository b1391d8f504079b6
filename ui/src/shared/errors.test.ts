import { describe as suite, expect, it } from "vitest";

import { describe, KNOWN_CODES } from "./errors";

suite("error table", () => {
  it("has words for every domain error code", () => {
    const domainCodes = [
      "empty_message",
      "too_large",
      "invalid_input",
      "not_found",
      "already_exists",
      "thread_archived",
      "illegal_transition",
      "step_not_awaiting_approval",
      "approval_already_decided",
      "stale_file_change",
      "nothing_to_change",
    ];
    for (const code of domainCodes) {
      expect(KNOWN_CODES, code).toContain(code);
    }
  });

  it("uses the table's words, not the backend's message, for a known code", () => {
    expect(describe({ code: "empty_message", message: "a message needs some text" })).toBe(
      "Write something before sending.",
    );
  });

  it("falls back to the backend's message for an unknown code", () => {
    expect(describe({ code: "something_new", message: "Something new went wrong" })).toBe("Something new went wrong");
  });
});
