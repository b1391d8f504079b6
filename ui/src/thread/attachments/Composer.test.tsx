// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeBackend } from "../../backend/fake";
import type { AttachRequest, IpcError } from "../../shared/types";
import { Composer } from "../Composer";
import { findMention, mentionKey } from "./mention";

afterEach(cleanup);

const FILES = ["src/main.rs", "src/lib.rs", "README.md"];
const PNG_URL = "data:image/png;base64,iVBORw0KGgo=";

/** A composer whose project holds `FILES` (none when `project` is false); sends are recorded. */
function composer({ project = true, refuseImage = false } = {}) {
  const sent: { text: string; attachments: AttachRequest[] }[] = [];
  const projectFiles = vi.fn((_thread: string, query: string) =>
    Promise.resolve(project ? FILES.filter((f) => f.includes(query)) : null),
  );
  const attachImage = vi.fn((bytes: Uint8Array) =>
    refuseImage
      ? Promise.reject({
          code: "invalid_input",
          message: "this is not a PNG, JPEG or WebP image",
        } satisfies IpcError)
      : Promise.resolve({ blob: "ab".repeat(32), mime_type: "image/png", bytes: bytes.length }),
  );
  const backend = fakeBackend({ projectFiles, attachImage, imageData: () => Promise.resolve(PNG_URL) });
  const onSend = vi.fn((text: string, attachments: AttachRequest[]) => {
    sent.push({ text, attachments });
    return Promise.resolve();
  });
  render(<Composer onSend={onSend} backend={backend} threadId="t1" />);
  const box = screen.getByRole("textbox", { name: "Message" }) as HTMLTextAreaElement;
  return { box, sent, projectFiles, attachImage };
}

/** Types `text` at the end of the box and lets the list load. */
async function type(box: HTMLTextAreaElement, text: string) {
  const value = box.value + text;
  fireEvent.change(box, { target: { value, selectionStart: value.length } });
  await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
}

describe("the @ list", () => {
  it("opens at a word start only", () => {
    expect(findMention("look at @src/ma", 15)).toEqual({ start: 8, query: "src/ma" });
    expect(findMention("@", 1)).toEqual({ start: 0, query: "" });
    expect(findMention("mail me@example.com", 19)).toBeNull();
    expect(findMention("@src done", 9)).toBeNull();
  });

  it("moves with Up and Down, wrapping, and chooses with Enter or Tab", () => {
    expect(mentionKey("ArrowDown", 3, 2)).toEqual({ kind: "move", active: 0 });
    expect(mentionKey("ArrowUp", 3, 0)).toEqual({ kind: "move", active: 2 });
    expect(mentionKey("Tab", 3, 1)).toEqual({ kind: "choose", index: 1 });
    expect(mentionKey("Enter", 0, 0)).toBeNull();
    expect(mentionKey("Escape", 0, 0)).toEqual({ kind: "close" });
    expect(mentionKey("a", 3, 0)).toBeNull();
  });

  it("filters as the person types and attaches the file chosen with the keyboard", async () => {
    const { box, sent, projectFiles } = composer();
    await type(box, "Explain @src");
    expect(projectFiles).toHaveBeenLastCalledWith("t1", "src");
    const list = screen.getByRole("listbox", { name: "Project files" });
    const options = within(list).getAllByRole("option");
    expect(options.map((o) => o.textContent)).toEqual(["main.rs src", "lib.rs src"]);
    expect(options[0].getAttribute("aria-selected")).toBe("true");
    expect(box.getAttribute("aria-activedescendant")).toBe(options[0].id);

    fireEvent.keyDown(box, { key: "ArrowDown" });
    expect(within(list).getAllByRole("option")[1].getAttribute("aria-selected")).toBe("true");
    expect(box.getAttribute("aria-activedescendant")).toBe(options[1].id);
    fireEvent.keyDown(box, { key: "Enter" });

    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box.value).toBe("Explain @src/lib.rs ");
    expect(box.selectionStart).toBe(box.value.length);
    expect(document.activeElement).toBe(box);
    const chips = screen.getByRole("list", { name: "Attachments" });
    expect(within(chips).getByText("src/lib.rs")).toBeTruthy();
    expect(sent).toEqual([]);

    fireEvent.keyDown(box, { key: "Enter" });
    await act(() => Promise.resolve());
    expect(sent).toEqual([
      { text: "Explain @src/lib.rs", attachments: [{ kind: "File", path: "src/lib.rs" }] },
    ]);
    expect(screen.queryByRole("list", { name: "Attachments" })).toBeNull();
  });

  it("closes on Escape without choosing, and a chip can be removed", async () => {
    const { box } = composer();
    await type(box, "see @READ");
    fireEvent.keyDown(box, { key: "Escape" });
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(box.value).toBe("see @READ");

    await type(box, "M");
    fireEvent.keyDown(box, { key: "Tab" });
    expect(screen.getByText("README.md")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Remove README.md" }));
    expect(screen.queryByRole("list", { name: "Attachments" })).toBeNull();
  });

  it("gives a hint instead of a list without a project", async () => {
    const { box } = composer({ project: false });
    await type(box, "@");
    expect(screen.queryByRole("listbox")).toBeNull();
    expect(screen.getByRole("status").textContent).toMatch(/thread that belongs to a project/);
  });
});

describe("images", () => {
  const png = () => new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "shot.png", { type: "image/png" });

  it("a picked image is stored, shown as a thumbnail and sent", async () => {
    const { box, sent, attachImage } = composer();
    const picker = screen.getByLabelText("Attach image", { selector: "input" });
    await act(async () => {
      fireEvent.change(picker, { target: { files: [png()] } });
    });
    await act(() => new Promise((resolve) => setTimeout(resolve, 10)));
    expect(attachImage).toHaveBeenCalledTimes(1);
    const thumbnail = screen.getByRole("img", { name: "shot.png" }) as HTMLImageElement;
    expect(thumbnail.src).toBe(PNG_URL);

    fireEvent.keyDown(box, { key: "Enter" });
    await act(() => Promise.resolve());
    expect(sent).toEqual([
      { text: "", attachments: [{ kind: "Image", blob: "ab".repeat(32), name: "shot.png" }] },
    ]);
  });

  it("a pasted image is stored; pasted text is left to the text box", async () => {
    const { box, attachImage } = composer();
    await act(async () => {
      fireEvent.paste(box, { clipboardData: { files: [], items: [{ kind: "string", type: "text/plain" }] } });
    });
    expect(attachImage).not.toHaveBeenCalled();
    const file = png();
    await act(async () => {
      fireEvent.paste(box, {
        clipboardData: { files: [], items: [{ kind: "file", type: "image/png", getAsFile: () => file }] },
      });
    });
    await act(() => new Promise((resolve) => setTimeout(resolve, 10)));
    expect(attachImage).toHaveBeenCalledTimes(1);
    expect(screen.getByRole("img", { name: "shot.png" })).toBeTruthy();
  });

  it("a refused image is said in words and not attached", async () => {
    composer({ refuseImage: true });
    const picker = screen.getByLabelText("Attach image", { selector: "input" });
    await act(async () => {
      fireEvent.change(picker, { target: { files: [png()] } });
    });
    await act(() => new Promise((resolve) => setTimeout(resolve, 10)));
    expect(screen.getByRole("alert").textContent).toMatch(/shot.png: this is not a PNG, JPEG or WebP image/);
    expect(screen.queryByRole("img")).toBeNull();
  });
});
