// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { fakeBackend, fakeViews } from "../backend/fake";
import type { FileChangeRecord } from "../shared/types";
import { FilesPanel } from "./FilesPanel";

afterEach(cleanup);

const CHANGE: FileChangeRecord = {
  sequence: 7,
  event_id: "event-7",
  file_id: "file-1",
  path: "src/main.rs",
  change_type: { kind: "Modified", before: "hash-before", after: "hash-after" },
  run_id: "run-1",
  timestamp: "2026-01-02T03:04:05Z",
};

const DIFF = "--- a/src/main.rs\n+++ b/src/main.rs\n@@ -1 +1 @@\n-fn main() {}\n+fn main() { run() }\n";

const CHANGED_SINCE = { code: "file_changed_since", message: "src/main.rs changed after event 7" };

function files(revertFile: (projectId: string, sequence: number, force: boolean) => Promise<void>) {
  const views = fakeViews();
  const projectChanges = vi.fn(async () => [CHANGE]);
  const backend = fakeBackend(
    { projectChanges, fileDiff: async () => DIFF, revertFile: vi.fn(revertFile) },
    views,
  );
  render(<FilesPanel backend={backend} projectId="project" runId="run-1" />);
  return { backend, projectChanges, views };
}

/** Opens the change's diff and asks to revert the file. */
async function revertTheFile() {
  fireEvent.click(await screen.findByRole("button", { name: /src\/main\.rs/ }));
  fireEvent.click(await screen.findByRole("button", { name: "Revert file" }));
}

describe("FilesPanel", () => {
  it("says a revert was refused because the file changed since, and reverts anyway on request", async () => {
    const { backend } = files(async (_project, _sequence, force) => {
      if (!force) throw CHANGED_SINCE;
    });
    await revertTheFile();

    const refusal = await screen.findByRole("alert");
    expect(refusal.textContent).toContain("The file was changed after this change was made");
    expect(backend.revertFile).toHaveBeenCalledWith("project", 7, false);
    expect(screen.queryByRole("status"), "nothing was reverted yet").toBeNull();

    fireEvent.click(screen.getByRole("button", { name: "Revert anyway" }));
    expect(backend.revertFile).toHaveBeenLastCalledWith("project", 7, true);
    expect((await screen.findByRole("status")).textContent).toBe(
      "src/main.rs was put back as it was before this change.",
    );
    expect(screen.queryByRole("alert"), "the refusal is answered").toBeNull();
    expect(backend.revertFile).toHaveBeenCalledTimes(2);
  });

  it("reports a forced revert that fails too, in words", async () => {
    files(async (_project, _sequence, force) => {
      throw force ? { code: "content_missing", message: "blob gone" } : CHANGED_SINCE;
    });
    await revertTheFile();
    fireEvent.click(await screen.findByRole("button", { name: "Revert anyway" }));
    expect((await screen.findByRole("status")).textContent).toContain("no longer has this file's content");
  });

  it("reverts without asking when the file is as the change left it", async () => {
    files(async () => {});
    await revertTheFile();
    expect((await screen.findByRole("status")).textContent).toContain("was put back");
    expect(screen.queryByRole("button", { name: "Revert anyway" })).toBeNull();
  });

  it("reads the changes again when the project changes, not when the revert answers", async () => {
    const { projectChanges, views } = files(async () => {});
    await revertTheFile();
    await screen.findByRole("status");
    await act(() => new Promise<void>((done) => requestAnimationFrame(() => done())));
    expect(projectChanges, "the revert's answer alone reads nothing").toHaveBeenCalledTimes(1);

    act(() => views.change({ kind: "project", project_id: "another" }));
    await act(() => new Promise<void>((done) => requestAnimationFrame(() => done())));
    expect(projectChanges, "another project's change is not this panel's").toHaveBeenCalledTimes(1);

    act(() => views.change({ kind: "project", project_id: "project" }));
    await waitFor(() => expect(projectChanges).toHaveBeenCalledTimes(2));
  });
});
