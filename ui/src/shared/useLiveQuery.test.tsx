// @vitest-environment jsdom
import { act, cleanup, renderHook, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeViews } from "../backend/fake";
import type { ViewChange } from "./types";
import { useLiveQuery } from "./useLiveQuery";

afterEach(cleanup);

const RUN_OF_A: ViewChange = { kind: "run", run_id: "run", thread_id: "a" };
const RUN_OF_B: ViewChange = { kind: "run", run_id: "run", thread_id: "b" };
const ofA = (change: ViewChange) => change.kind === "run" && change.thread_id === "a";

/** A frame passes, so a coalesced reload has run. */
const nextFrame = () => act(() => new Promise<void>((done) => requestAnimationFrame(() => done())));

function live(load: () => Promise<number>) {
  const views = fakeViews();
  const hook = renderHook(() => useLiveQuery(views.listeners, load, [], ofA));
  return { views, hook };
}

describe("useLiveQuery", () => {
  it("loads now and once again for a burst of matching changes", async () => {
    let reads = 0;
    const load = vi.fn(async () => ++reads);
    const { views, hook } = live(load);
    await waitFor(() => expect(hook.result.current.value).toBe(1));

    // Each change in its own render, as they arrive from the backend, within one frame.
    act(() => views.change(RUN_OF_A));
    act(() => views.change(RUN_OF_A));
    act(() => views.change(RUN_OF_A));
    await nextFrame();
    await waitFor(() => expect(hook.result.current.value).toBe(2));
    await nextFrame();
    expect(
      load,
      "three changes in one frame read the value once more, not three times",
    ).toHaveBeenCalledTimes(2);
  });

  it("does not reload for a change that does not affect it", async () => {
    const load = vi.fn(async () => 1);
    const { views } = live(load);
    await waitFor(() => expect(load).toHaveBeenCalledTimes(1));
    act(() => views.change(RUN_OF_B));
    await nextFrame();
    expect(load, "another thread's run is not this query's business").toHaveBeenCalledTimes(1);
  });

  it("reloads when the window was reset", async () => {
    let reads = 0;
    const { views, hook } = live(async () => ++reads);
    await waitFor(() => expect(hook.result.current.value).toBe(1));
    act(() => views.reset());
    await nextFrame();
    await waitFor(() => expect(hook.result.current.value).toBe(2));
  });

  it("keeps the newer answer when an older one arrives late", async () => {
    const answers: ((value: number) => void)[] = [];
    const { views, hook } = live(() => new Promise<number>((resolve) => answers.push(resolve)));
    await waitFor(() => expect(answers).toHaveLength(1));
    act(() => views.change(RUN_OF_A));
    await nextFrame();
    await waitFor(() => expect(answers).toHaveLength(2));

    await act(async () => answers[1](2));
    await act(async () => answers[0](1));
    expect(hook.result.current.value, "the first read started before the change, so it is stale").toBe(2);
  });

  it("stops listening when the view goes away", async () => {
    const load = vi.fn(async () => 1);
    const { views, hook } = live(load);
    expect(views.subscribed()).toBe(1);
    act(() => views.change(RUN_OF_A));
    hook.unmount();
    expect(views.subscribed()).toBe(0);
    await new Promise<void>((done) => requestAnimationFrame(() => done()));
    expect(load, "a reload scheduled before the view went away does not run").toHaveBeenCalledTimes(1);
  });
});
