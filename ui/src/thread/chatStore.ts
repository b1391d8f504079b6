// The front-end store of one open chat. It mirrors the engine's entry list by index: the
// backend says an entry was added at, updated at, or removed from an index, and the store
// splices its sparse copy the same way, fetching only the entries a visible row needs. Streamed
// text and tool output arrive in batches and are kept per message / tool use, so a token
// re-renders only the row it belongs to.
//
// Invariants: the first page says which event it reflects; changes up to that event are in it
// and ignored when they arrive. Later the length changes only by applied changes, so a page
// fetched while the backend was ahead (its length differs) is dropped and fetched again once
// the changes that explain the difference have arrived.
import type { ChatChange, ChatEntry, ChatPage, StreamBatch } from "../shared/types";

export type PageFetcher = (start: number, count: number) => Promise<ChatPage>;

/** Rows fetched around the visible ones, so a short scroll finds them loaded. */
const FETCH_MARGIN = 20;
/** Live output lines kept per tool use. */
const TOOL_LINES = 200;
/** A page ahead of the received changes is asked for again after this long… */
const AHEAD_RETRY_MS = 100;
/** …and after this many such pages in a row, the chat is loaded afresh. */
const AHEAD_LIMIT = 20;

export class ChatStore {
  /** One slot per entry; `undefined` until fetched. */
  private entries: (ChatEntry | undefined)[] = [];
  /** Indexes whose entry changed since it was fetched, with when (`marks`) they were marked. */
  private stale = new Map<number, number>();
  private marks = 0;
  /** Structural changes (insert/remove) in order, to tell whether a fetch in flight shifted. */
  private shifts: { at: number; index: number }[] = [];
  private shiftCount = 0;
  private live = new Map<string, string>();
  private stored: { messageId: string; text: string } | null = null;
  private toolLines = new Map<string, string[]>();
  private listeners = new Set<() => void>();
  private window: [number, number] = [0, 0];
  /** Changes up to this event are in the first page. */
  private openedAt = 0;
  /** Changes that arrived while the first page was on its way: applied once it is here, if it
   * does not hold them already (else the page's length would overwrite their inserts). */
  private early: { change: ChatChange; sequence: number }[] | null = null;
  private aheadCount = 0;
  private fetching = false;
  private again = false;
  private closed = false;

  total = 0;
  /** Goes up on every change, for views that follow the newest text. */
  version = 0;
  loaded = false;
  error: unknown = null;

  constructor(private readonly fetchPage: PageFetcher) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private notify() {
    this.version += 1;
    for (const listener of this.listeners) listener();
  }

  /** Learns the length of the chat and fetches its last rows. */
  async open(lastRows = 40): Promise<void> {
    this.early = [];
    let head: ChatPage;
    let early: { change: ChatChange; sequence: number }[];
    try {
      head = await this.fetchPage(0, 0);
    } finally {
      early = this.early ?? [];
      this.early = null;
    }
    if (this.closed) return;
    this.openedAt = head.sequence;
    this.resize(head.total);
    this.accept(head, this.shiftCount, this.marks);
    this.window = [Math.max(0, this.total - lastRows), this.total];
    for (const { change, sequence } of early) if (sequence > this.openedAt) this.splice(change);
    await this.fill();
    this.loaded = true;
    this.notify();
  }

  close() {
    this.closed = true;
    this.listeners.clear();
  }

  entryAt(index: number): ChatEntry | undefined {
    return this.entries[index];
  }

  /** What a message shows now: its final content, or while it streams the longest text known. */
  textOf(entry: ChatEntry): string {
    if (entry.kind !== "Message") return "";
    return entry.streaming ? this.liveText(entry.id) : entry.content;
  }

  /** Live text received for a message, for `useSyncExternalStore` (a string compares by value). */
  liveText(messageId: string): string {
    const live = this.live.get(messageId) ?? "";
    const stored = this.stored?.messageId === messageId ? this.stored.text : "";
    return live.length >= stored.length ? live : stored;
  }

  toolOutput(toolUseId: string): string[] | undefined {
    return this.toolLines.get(toolUseId);
  }

  /** The rows on screen are `start..end`: make sure they are fetched. */
  show(start: number, end: number) {
    this.window = [Math.max(0, start - FETCH_MARGIN), Math.min(this.total, end + FETCH_MARGIN)];
    void this.fill();
  }

  /** Applies one change the engine reported at event `sequence`, by index. */
  apply(change: ChatChange, sequence: number) {
    if (this.early) {
      this.early.push({ change, sequence });
      return;
    }
    if (sequence <= this.openedAt) return;
    this.splice(change);
    this.notify();
    void this.fill();
  }

  /** Splices `change` into the entries, moving the window and the stale marks with them. */
  private splice(change: ChatChange) {
    switch (change.kind) {
      case "EntryAdded":
        this.entries.splice(change.index, 0, undefined);
        this.stale = shiftKeys(this.stale, change.index, 1);
        this.recordShift(change.index);
        this.total += 1;
        if (this.window[1] >= change.index) this.window[1] += 1;
        break;
      case "EntryUpdated":
        if (change.index < this.total) this.stale.set(change.index, ++this.marks);
        break;
      case "EntriesRemoved": {
        const count = change.end - change.start;
        this.entries.splice(change.start, count);
        this.stale = shiftKeys(this.stale, change.start, -count);
        this.recordShift(change.start);
        this.total = Math.max(0, this.total - count);
        this.window = [Math.min(this.window[0], this.total), Math.min(this.window[1], this.total)];
        break;
      }
    }
  }

  /** Adds streamed text and tool output. */
  applyBatch(batch: StreamBatch) {
    for (const piece of batch.text) {
      this.live.set(piece.message_id, (this.live.get(piece.message_id) ?? "") + piece.text);
    }
    for (const { tool_use_id, line } of batch.tool_output) {
      const lines = [...(this.toolLines.get(tool_use_id) ?? []), line];
      this.toolLines.set(tool_use_id, lines.slice(-TOOL_LINES));
    }
    if (batch.text.length > 0 || batch.tool_output.length > 0) this.notify();
  }

  /** Forgets everything fetched (the window fell behind the log) and fetches again. */
  async reload(): Promise<void> {
    this.entries = [];
    this.stale.clear();
    this.shifts = [];
    this.aheadCount = 0;
    await this.open(this.window[1] - this.window[0]);
  }

  private recordShift(index: number) {
    this.shiftCount += 1;
    this.shifts.push({ at: this.shiftCount, index });
    if (this.shifts.length > 1000) this.shifts.splice(0, 500);
  }

  private resize(total: number) {
    this.total = total;
    this.entries.length = total;
  }

  /** Fetches missing or stale rows in the window, one request at a time. */
  private async fill(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return;
    }
    const [start, end] = this.window;
    let first = -1;
    let last = -1;
    for (let i = start; i < Math.min(end, this.total); i++) {
      if (this.entries[i] === undefined || this.stale.has(i)) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first < 0 || this.closed) return;
    this.fetching = true;
    const issuedAt = this.shiftCount;
    const markedBefore = this.marks;
    let outcome: "stored" | "moved" | "ahead" = "stored";
    try {
      const page = await this.fetchPage(first, last - first + 1);
      if (!this.closed) outcome = this.accept(page, issuedAt, markedBefore);
      this.error = null;
    } catch (error) {
      this.error = error;
    } finally {
      this.fetching = false;
    }
    if (this.closed) return;
    this.notify();
    if (outcome === "ahead") {
      // The changes that explain the difference are on their way and fetch again when they
      // arrive; if none come (the backend stopped reporting this chat), start over.
      this.aheadCount += 1;
      if (this.aheadCount > AHEAD_LIMIT) void this.reload();
      else setTimeout(() => void this.fill(), AHEAD_RETRY_MS);
      return;
    }
    this.aheadCount = 0;
    if (this.again || this.needsFetch()) {
      this.again = false;
      void this.fill();
    }
  }

  private needsFetch(): boolean {
    const [start, end] = this.window;
    for (let i = start; i < Math.min(end, this.total); i++) {
      if (this.entries[i] === undefined || this.stale.has(i)) return !this.error;
    }
    return false;
  }

  /**
   * Stores a fetched page, unless an insert or removal before its end moved its rows since it
   * was asked for ("moved": ask again), or the backend had changes not received yet ("ahead":
   * ask again once they are here).
   */
  private accept(page: ChatPage, issuedAt: number, markedBefore: number): "stored" | "moved" | "ahead" {
    this.stored = page.streaming ? { messageId: page.streaming.message_id, text: page.streaming.text } : null;
    const end = page.start + page.entries.length;
    const moved = this.shifts.some((s) => s.at > issuedAt && s.index < end);
    if (moved) return "moved";
    if (page.total !== this.total) return "ahead";
    page.entries.forEach((entry, offset) => {
      const index = page.start + offset;
      if (index < this.total) {
        this.entries[index] = entry;
        // An update reported while this page was on its way is not in it: fetch again.
        if ((this.stale.get(index) ?? 0) <= markedBefore) this.stale.delete(index);
        if (entry.kind === "Message" && !entry.streaming) this.live.delete(entry.id);
      }
    });
    return "stored";
  }
}

/** The map with keys at or after `from` moved by `by` (keys in a removed range dropped). */
function shiftKeys(map: Map<number, number>, from: number, by: number): Map<number, number> {
  const moved = new Map<number, number>();
  for (const [i, mark] of map) {
    if (i < from) moved.set(i, mark);
    else if (by > 0 || i >= from - by) moved.set(i + by, mark);
  }
  return moved;
}
