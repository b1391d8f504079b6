import { describe, expect, it } from "vitest";

import type { ChatEntry, ChatPage } from "../shared/types";
import { ChatStore } from "./chatStore";

function message(id: string, content = id, streaming = false): ChatEntry {
  return {
    kind: "Message",
    id,
    content,
    role: "User",
    timestamp: "2026-01-01T00:00:00Z",
    tool_uses: [],
    streaming,
    interrupted: false,
    attachments: [],
    compaction: null,
  };
}

/** A backend whose chat is the array `rows` as of event `seq`; it counts what it was asked for. */
let seq = 0;
function backend(rows: ChatEntry[]) {
  const asked: [number, number][] = [];
  const fetch = async (start: number, count: number): Promise<ChatPage> => {
    asked.push([start, count]);
    return {
      sequence: seq,
      total: rows.length,
      start,
      entries: rows.slice(start, start + count),
      streaming: null,
    };
  };
  return { rows, asked, fetch };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function ids(store: ChatStore): (string | undefined)[] {
  return Array.from({ length: store.total }, (_, i) => store.entryAt(i)?.id);
}

describe("ChatStore", () => {
  it("opens at the end and fetches only the last rows of a long chat", async () => {
    const b = backend(Array.from({ length: 10_000 }, (_, i) => message(`m${i}`)));
    const store = new ChatStore(b.fetch);
    await store.open(30);
    expect(store.total).toBe(10_000);
    expect(store.entryAt(9_999)?.id).toBe("m9999");
    expect(store.entryAt(9_970)?.id).toBe("m9970");
    expect(store.entryAt(0)).toBeUndefined();
    const fetched = b.asked.reduce((sum, [, count]) => sum + count, 0);
    expect(fetched).toBeLessThanOrEqual(30);
  });

  it("inserts an added entry at its index and fetches it", async () => {
    const b = backend([message("a"), message("c")]);
    const store = new ChatStore(b.fetch);
    await store.open();
    b.rows.splice(1, 0, message("b"));
    store.apply({ kind: "EntryAdded", index: 1 }, ++seq);
    expect(store.total).toBe(3);
    expect(ids(store)).toEqual(["a", undefined, "c"]);
    await settle();
    expect(ids(store)).toEqual(["a", "b", "c"]);
  });

  it("refetches an updated entry in place", async () => {
    const b = backend([message("a", "draft", true)]);
    const store = new ChatStore(b.fetch);
    await store.open();
    b.rows[0] = message("a", "final");
    store.apply({ kind: "EntryUpdated", index: 0 }, ++seq);
    await settle();
    const entry = store.entryAt(0);
    expect(entry && store.textOf(entry)).toBe("final");
  });

  it("removes a range and shifts later entries up", async () => {
    const b = backend(["a", "b", "c", "d", "e"].map((id) => message(id)));
    const store = new ChatStore(b.fetch);
    await store.open();
    b.rows.splice(1, 2);
    store.apply({ kind: "EntriesRemoved", start: 1, end: 3 }, ++seq);
    expect(ids(store)).toEqual(["a", "d", "e"]);
  });

  it("drops a page fetched before an insert moved its rows", async () => {
    const b = backend([message("a"), message("b")]);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let hold = false;
    const store = new ChatStore(async (start, count) => {
      const page = await b.fetch(start, count);
      if (hold) await gate;
      return page;
    });
    await store.open();
    hold = true;
    store.apply({ kind: "EntryUpdated", index: 1 }, ++seq);
    // While the update's fetch is in flight, an entry is inserted before it.
    b.rows.splice(0, 0, message("z"));
    store.apply({ kind: "EntryAdded", index: 0 }, ++seq);
    release();
    await settle();
    await settle();
    expect(ids(store)).toEqual(["z", "a", "b"]);
  });

  it("shows streamed text and keeps tool output per tool use", async () => {
    const b = backend([message("m", "", true)]);
    const store = new ChatStore(b.fetch);
    await store.open();
    store.applyBatch({ text: [{ message_id: "m", text: "Hel" }], tool_output: [] });
    store.applyBatch({
      text: [{ message_id: "m", text: "lo" }],
      tool_output: [{ tool_use_id: "t", line: "compiling" }],
    });
    const entry = store.entryAt(0);
    expect(entry && store.textOf(entry)).toBe("Hello");
    expect(store.toolOutput("t")).toEqual(["compiling"]);
  });

  it("fetches again an entry updated while its fetch was on its way", async () => {
    const b = backend([message("a", "one", true)]);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    let hold = false;
    const store = new ChatStore(async (start, count) => {
      const page = await b.fetch(start, count);
      if (hold) {
        hold = false;
        await gate;
      }
      return page;
    });
    await store.open();
    hold = true;
    store.apply({ kind: "EntryUpdated", index: 0 }, ++seq);
    // The page answering that update is on its way when the message completes.
    b.rows[0] = message("a", "done");
    store.apply({ kind: "EntryUpdated", index: 0 }, ++seq);
    release();
    for (let i = 0; i < 5; i++) await settle();
    const entry = store.entryAt(0);
    expect(entry && store.textOf(entry)).toBe("done");
  });

  it("ignores changes the first page already holds", async () => {
    const b = backend([message("a"), message("b")]);
    const store = new ChatStore(b.fetch);
    seq = 10;
    await store.open();
    // Event 10 added "b" before the chat was opened; its change arrives late.
    store.apply({ kind: "EntryAdded", index: 1 }, 10);
    expect(ids(store)).toEqual(["a", "b"]);
  });

  it("keeps a change that arrives while the first page is on its way", async () => {
    const b = backend([]);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const store = new ChatStore(async (start, count) => {
      // The first page is read now, before the message below is added, and arrives after it.
      const page = await b.fetch(start, count);
      if (first) {
        first = false;
        await held;
      }
      return page;
    });
    const opened = store.open();
    b.rows.push(message("a"));
    store.apply({ kind: "EntryAdded", index: 0 }, ++seq);
    release();
    await opened;
    for (let i = 0; i < 5; i++) await settle();
    expect(ids(store)).toEqual(["a"]);
  });

  it("waits for the changes a page is ahead of", async () => {
    const b = backend([message("a")]);
    const store = new ChatStore(b.fetch);
    await store.open();
    // The backend applied an insert at the front; its change has not arrived yet.
    b.rows.splice(0, 0, message("z"));
    store.apply({ kind: "EntryUpdated", index: 0 }, ++seq);
    await settle();
    expect(ids(store)).toEqual(["a"]);
    store.apply({ kind: "EntryAdded", index: 0 }, ++seq);
    await settle();
    await settle();
    expect(ids(store)).toEqual(["z", "a"]);
  });

  it("tells subscribers when something changed", async () => {
    const b = backend([message("a")]);
    const store = new ChatStore(b.fetch);
    await store.open();
    let calls = 0;
    const stop = store.subscribe(() => (calls += 1));
    store.applyBatch({ text: [{ message_id: "a", text: "x" }], tool_output: [] });
    stop();
    store.applyBatch({ text: [{ message_id: "a", text: "y" }], tool_output: [] });
    expect(calls).toBe(1);
  });
});
