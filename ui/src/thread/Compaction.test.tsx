// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { ChatEntry, ChatPage, CompactionView, MessageView } from "../shared/types";
import { ChatStore } from "./chatStore";
import { EntryRow, type RowActions } from "./EntryRow";

afterEach(cleanup);

function message(id: string, content: string, compaction: CompactionView | null = null): ChatEntry {
  const view: MessageView = {
    id,
    content,
    role: "Assistant",
    timestamp: "2026-01-01T10:00:00Z",
    tool_uses: [],
    streaming: false,
    interrupted: false,
    attachments: [],
    compaction,
  };
  return { kind: "Message", ...view };
}

const AUTOMATIC: CompactionView = {
  summary: "Decided to keep byte offsets in `src/parser.rs`. <img src=x onerror=alert(1)> Open task: spans.",
  replaced_tokens: 12480,
  summary_tokens: 310,
  trigger: { kind: "Automatic", window_tokens: 128000, threshold_percent: 80 },
  timestamp: "2026-01-01T10:05:00Z",
};

function actions(overrides: Partial<RowActions> = {}): RowActions {
  return {
    openLink: () => {},
    deleteMessage: () => {},
    cancelTool: () => {},
    loadDetail: () => Promise.reject(new Error("not used")),
    reviewRun: () => {},
    summarize: () => Promise.resolve(),
    loadImage: () => Promise.reject(new Error("not used")),
    ...overrides,
  };
}

/** Renders the chat's rows over a store holding `entries`. */
async function rows(entries: ChatEntry[], rowActions: RowActions, past = false) {
  const store = new ChatStore((start, count) => {
    const page: ChatPage = {
      sequence: 1,
      total: entries.length,
      start,
      entries: entries.slice(start, start + count),
      streaming: null,
    };
    return Promise.resolve(page);
  });
  await act(() => store.open());
  render(
    <div>
      {entries.map((_, index) => (
        <EntryRow key={index} store={store} index={index} actions={rowActions} past={past} />
      ))}
    </div>,
  );
}

describe("the divider after summarized messages", () => {
  it("follows the last summarized message, folded, with the tokens it saved", async () => {
    await rows(
      [message("m1", "first"), message("m2", "second", AUTOMATIC), message("m3", "third")],
      actions(),
    );
    const summary = screen.getByText("Earlier messages summarized");
    const details = summary.closest("details")!;
    expect(details.open).toBe(false);
    expect(details.textContent).toContain("12,480 → 310 tokens");
    // The divider sits between the summarized message and the next one.
    const order = Array.from(document.querySelectorAll("article, details")).map(
      (el) => el.querySelector(".message-body")?.textContent ?? el.tagName,
    );
    expect(order).toEqual(["first", "second", "DETAILS", "third"]);
  });

  it("unfolds to the summary, shown as text and never run", async () => {
    await rows([message("m2", "second", AUTOMATIC)], actions());
    const details = screen.getByText("Earlier messages summarized").closest("details")!;
    fireEvent.click(within(details).getByText("Earlier messages summarized"));
    expect(details.open).toBe(true);
    expect(details.textContent).toContain("Decided to keep byte offsets in src/parser.rs.");
    expect(details.textContent).toContain(
      "automatically, as the conversation neared 80% of the model's 128,000-token window",
    );
    expect(details.querySelector("img")).toBeNull();
    expect(details.textContent).toContain("<img src=x onerror=alert(1)>");
  });

  it("says when a person asked for the summary", async () => {
    await rows([message("m2", "second", { ...AUTOMATIC, trigger: { kind: "Manual" } })], actions());
    expect(screen.getByText(/Summarized by hand\./)).toBeTruthy();
  });

  it("is absent from messages no summary ends at", async () => {
    await rows([message("m1", "first")], actions());
    expect(screen.queryByText("Earlier messages summarized")).toBeNull();
  });
});

describe("Summarize up to here", () => {
  it("summarizes through its message, showing progress until it is done", async () => {
    let finish: () => void = () => {};
    const summarize = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    await rows([message("m1", "first"), message("m2", "second")], actions({ summarize }));
    const buttons = screen.getAllByRole("button", { name: "Summarize up to here" });
    expect(buttons).toHaveLength(2);
    buttons[1].focus();
    expect(document.activeElement).toBe(buttons[1]);
    fireEvent.click(buttons[1]);
    expect(summarize).toHaveBeenCalledWith("m2");
    expect(screen.getByRole("status").textContent).toBe("Summarizing…");
    expect(screen.getAllByRole("button", { name: "Summarize up to here" })).toHaveLength(1);
    await act(async () => finish());
    expect(screen.queryByRole("status")).toBeNull();
    expect(screen.getAllByRole("button", { name: "Summarize up to here" })).toHaveLength(2);
  });

  it("is offered neither in a past view nor on the message a summary already ends at", async () => {
    await rows([message("m1", "first")], actions(), true);
    expect(screen.queryByRole("button", { name: "Summarize up to here" })).toBeNull();
    cleanup();
    await rows([message("m2", "second", AUTOMATIC)], actions());
    expect(screen.queryByRole("button", { name: "Summarize up to here" })).toBeNull();
  });
});
