// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, renderHook, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { fakeBackend, fakeViews } from "../backend/fake";
import type { Settings, SettingsView, ThreadSummary } from "../shared/types";
import { useOpenThread } from "./useOpenThread";
import { useShortcuts } from "./useShortcuts";

afterEach(cleanup);

function summary(id: string, title: string, changes: Partial<ThreadSummary> = {}): ThreadSummary {
  return {
    id,
    title,
    last_message_preview: "",
    last_updated: "2026-01-02T03:04:05Z",
    message_count: 1,
    unread_count: 0,
    archived: false,
    project_id: null,
    ...changes,
  };
}

function settingsView(firstStart: boolean): SettingsView {
  return {
    settings: { provider: "openai", base_url: "http://localhost:1", model: "m" } as Settings,
    first_start: firstStart,
    key_variable: null,
    keys: [],
    provider_label: firstStart ? "" : "Demo (offline)",
  };
}

/** A frame passes, so a coalesced reload would have run. */
const nextFrame = () => act(() => new Promise<void>((done) => requestAnimationFrame(() => done())));

/** The app with nothing open, over a backend whose threads the test archives. */
function app(firstStart = false) {
  let threads = [summary("t1", "Fix the build")];
  const views = fakeViews();
  const listThreads = vi.fn(async (archived: boolean) => threads.filter((t) => t.archived === archived));
  const setArchived = vi.fn(async (id: string, archived: boolean) => {
    threads = threads.map((t) => (t.id === id ? { ...t, archived } : t));
  });
  let settings = settingsView(firstStart);
  const getSettings = vi.fn(async () => settings);
  const saveSettings = vi.fn(async () => {
    settings = settingsView(false);
  });
  const backend = fakeBackend(
    {
      listThreads,
      setArchived,
      listProjects: async () => [],
      getSettings,
      saveSettings,
      lastOpenThread: async () => null,
    },
    views,
  );
  render(<App backend={backend} />);
  return { views, listThreads, setArchived, getSettings, saveSettings, summaryOf: () => threads[0] };
}

describe("App", () => {
  it("reads the thread list again when the archived thread's summary changes, once", async () => {
    const { views, listThreads, setArchived, summaryOf } = app();
    fireEvent.click(await screen.findByRole("button", { name: "Archive Fix the build" }));
    await waitFor(() => expect(setArchived).toHaveBeenCalledWith("t1", true));
    await nextFrame();
    expect(listThreads, "the command's answer alone reads nothing").toHaveBeenCalledTimes(1);
    expect(screen.getByRole("button", { name: "Archive Fix the build" })).toBeTruthy();

    act(() => views.change({ kind: "thread_summary", summary: summaryOf() }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Archive Fix the build" })).toBeNull());
    expect(listThreads).toHaveBeenCalledTimes(2);
  });

  it("reads the thread list again after a reset", async () => {
    const { views, listThreads } = app();
    await screen.findByRole("button", { name: "Archive Fix the build" });
    act(() => views.reset());
    await waitFor(() => expect(listThreads).toHaveBeenCalledTimes(2));
  });

  it("welcomes a first start, and the demo reads the settings again once saved", async () => {
    const { getSettings, saveSettings } = app(true);
    fireEvent.click(await screen.findByRole("button", { name: "Try the offline demo" }));
    await waitFor(() => expect(screen.queryByRole("region", { name: "Welcome" })).toBeNull());
    expect(saveSettings).toHaveBeenCalledWith(expect.objectContaining({ provider: "demo", model: "demo" }));
    expect(getSettings, "settings are no events: saving them reads them again").toHaveBeenCalledTimes(2);
  });

  it("focuses the search on Ctrl+K", async () => {
    app();
    const search = await screen.findByRole("searchbox", { name: "Search threads" });
    fireEvent.keyDown(window, { key: "k", ctrlKey: true });
    expect(document.activeElement).toBe(search);
  });
});

describe("useShortcuts", () => {
  it("calls the latest handlers for each shortcut", () => {
    const first = { newThread: vi.fn(), search: vi.fn(), settings: vi.fn(), tab: vi.fn() };
    const latest = { newThread: vi.fn(), search: vi.fn(), settings: vi.fn(), tab: vi.fn() };
    const hook = renderHook((handlers) => useShortcuts(handlers), { initialProps: first });
    hook.rerender(latest);
    fireEvent.keyDown(window, { key: "N", ctrlKey: true });
    fireEvent.keyDown(window, { key: ",", metaKey: true });
    fireEvent.keyDown(window, { key: "3", altKey: true });
    fireEvent.keyDown(window, { key: "n" });
    expect(latest.newThread).toHaveBeenCalledTimes(1);
    expect(latest.settings).toHaveBeenCalledTimes(1);
    expect(latest.tab).toHaveBeenCalledWith(2);
    expect(first.newThread, "a handler replaced by a newer render is not called").not.toHaveBeenCalled();
    hook.unmount();
    fireEvent.keyDown(window, { key: "k", ctrlKey: true });
    expect(latest.search, "the shortcuts end with the app").not.toHaveBeenCalled();
  });
});

describe("useOpenThread", () => {
  function open(last: Promise<string | null>, threads: ThreadSummary[] = []) {
    const rememberOpenThread = vi.fn(async () => {});
    const markRead = vi.fn(async () => {});
    const backend = fakeBackend({ lastOpenThread: () => last, rememberOpenThread, markRead });
    const hook = renderHook((list) => useOpenThread(backend, list), { initialProps: threads });
    return { hook, rememberOpenThread, markRead };
  }

  it("opens the thread open at the last close, and remembers it", async () => {
    const { hook, rememberOpenThread } = open(Promise.resolve("t1"));
    await waitFor(() => expect(hook.result.current.selected).toBe("t1"));
    expect(rememberOpenThread).toHaveBeenCalledWith("t1");
  });

  it("keeps a thread chosen before the last one was known", async () => {
    let answer: (id: string | null) => void = () => {};
    const { hook } = open(new Promise((resolve) => (answer = resolve)));
    act(() => hook.result.current.select("t2"));
    await act(async () => answer("t1"));
    expect(hook.result.current.selected).toBe("t2");
  });

  it("opens a thread now, at its newest run, and marks it read while it has unread entries", async () => {
    const threads = [summary("t1", "Fix the build", { unread_count: 2 })];
    const { hook, markRead } = open(Promise.resolve(null), threads);
    act(() => {
      hook.result.current.setAt(4);
      hook.result.current.setRunId("run");
    });
    act(() => hook.result.current.select("t1"));
    expect(hook.result.current.at).toBeNull();
    expect(hook.result.current.runId).toBeNull();
    await waitFor(() => expect(markRead).toHaveBeenCalledWith("t1"));
    hook.rerender([summary("t1", "Fix the build")]);
    expect(markRead).toHaveBeenCalledTimes(1);
  });
});
