// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeBackend } from "../backend/fake";
import type { IpcError } from "../shared/types";
import { Composer } from "./Composer";

afterEach(cleanup);

/** A composer whose sends are recorded (and refused with `refuse`); `busy` can be changed. */
function composer(busy: boolean, refuse = false) {
  const sent: string[] = [];
  const onSend = vi.fn((text: string) => {
    sent.push(text);
    return refuse
      ? Promise.reject({ code: "thread_archived", message: "the thread is archived" } satisfies IpcError)
      : Promise.resolve();
  });
  const backend = fakeBackend({});
  const view = (going: boolean) => <Composer onSend={onSend} backend={backend} threadId="t1" busy={going} />;
  const { rerender } = render(view(busy));
  const box = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
  const enter = (text: string) => {
    fireEvent.change(box, { target: { value: text } });
    fireEvent.keyDown(box, { key: "Enter" });
  };
  const setBusy = async (going: boolean) => {
    rerender(view(going));
    await act(() => Promise.resolve());
  };
  return { box, sent, enter, setBusy };
}

describe("a message written while the run goes on", () => {
  it("is queued, joined by the next, and sent once when the run ends", async () => {
    const { box, sent, enter, setBusy } = composer(true);
    expect(screen.getByRole("button", { name: "Queue" })).toBeTruthy();
    enter("Also check the tests");
    expect(sent, "nothing is sent while the run goes on").toEqual([]);
    expect(box.value, "the box is free for the next message").toBe("");
    expect(screen.getByRole("status").textContent).toContain("Also check the tests");
    enter("and the docs");
    await setBusy(false);
    expect(sent).toEqual(["Also check the tests\n\nand the docs"]);
    expect(screen.queryByText(/Queued/)).toBeNull();
    await setBusy(false);
    expect(sent.length, "sent once").toBe(1);
  });

  it("goes back into the box when cancelled", () => {
    const { box, sent, enter } = composer(true);
    enter("Never mind");
    fireEvent.click(screen.getByRole("button", { name: "Cancel queued message" }));
    expect(box.value).toBe("Never mind");
    expect(screen.queryByText(/Queued/)).toBeNull();
    expect(sent).toEqual([]);
  });

  it("comes back into the box when it cannot be sent", async () => {
    const { box, sent, enter, setBusy } = composer(true, true);
    enter("Try this instead");
    await setBusy(false);
    await act(() => Promise.resolve());
    expect(sent).toEqual(["Try this instead"]);
    expect(box.value, "nothing is lost").toBe("Try this instead");
  });

  it("is sent at once when no run goes on", async () => {
    const { sent, enter } = composer(false);
    expect(screen.getByRole("button", { name: "Send" })).toBeTruthy();
    enter("Hello");
    await act(() => Promise.resolve());
    expect(sent).toEqual(["Hello"]);
    expect(screen.queryByText(/Queued/)).toBeNull();
  });
});
