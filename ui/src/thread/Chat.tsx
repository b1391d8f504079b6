import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useLayoutEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";

import type { Backend } from "../backend";
import { describe } from "../shared/errors";
import type { AttachRequest, IpcError, Run } from "../shared/types";
import { useLiveQuery } from "../shared/useLiveQuery";
import { ChatStore } from "./chatStore";
import { Composer } from "./Composer";
import { EntryRow, type RowActions } from "./EntryRow";

/** How close to the bottom (px) still counts as "at the bottom" for following new text. */
const FOLLOW_SLACK = 80;

/**
 * One thread's chat: a virtualized list anchored at the end — only the rows on screen (plus a
 * few) are in the DOM, however long the thread — that follows new text unless the person
 * scrolled up to read. With `at`, the chat as it was right after that event, read-only.
 */
export function Chat({
  backend,
  threadId,
  at,
  onReviewRun,
  onError,
}: {
  backend: Backend;
  threadId: string;
  at: number | null;
  onReviewRun: (runId: string) => void;
  onError: (message: string | null) => void;
}) {
  const store = useMemo(
    () =>
      new ChatStore((start, count) =>
        at === null
          ? backend.chatPage(threadId, start, count)
          : backend.chatPageAt(threadId, at, start, count),
      ),
    [backend, threadId, at],
  );
  const [opened, setOpened] = useState(false);

  useEffect(() => {
    performance.mark("chat-open-start");
    backend
      .listening()
      .then(() => store.open())
      .then(
        () => {
          setOpened(true);
          performance.mark("chat-first-rows");
        },
        (e: IpcError) => onError(describe(e)),
      );
    if (at !== null) return () => store.close();
    const stopChanges = backend.onViewChange((change) => {
      if (change.kind === "chat" && change.thread_id === threadId)
        store.apply(change.change, change.sequence);
    });
    const stopReset = backend.onViewReset(() => void store.reload());
    const stopStream = backend.openStream(threadId, (batch) => store.applyBatch(batch));
    return () => {
      stopChanges();
      stopReset();
      stopStream();
      store.close();
    };
  }, [backend, store, threadId, at, onError]);

  const actions: RowActions = useMemo(
    () => ({
      openLink: (url) => backend.openLink(url).catch((e: IpcError) => onError(describe(e))),
      deleteMessage: (messageId) =>
        backend.deleteMessage(threadId, messageId).catch((e: IpcError) => onError(describe(e))),
      summarize: (messageId) =>
        backend.summarizeThread(threadId, messageId).then(
          () => onError(null),
          (e: IpcError) => onError(`The messages could not be summarized. ${describe(e)} (${e.message})`),
        ),
      cancelTool: (toolUseId) => backend.cancelTool(toolUseId).catch((e: IpcError) => onError(describe(e))),
      loadDetail: (runId, toolUseId) => backend.toolDetail(runId, toolUseId),
      reviewRun: onReviewRun,
      loadImage: (blob) => backend.imageData(blob),
    }),
    [backend, threadId, onReviewRun, onError],
  );

  // The run the person's last message started: going on until the log says it ended, even
  // before the run list has caught up with it.
  const [started, setStarted] = useState<string | null>(null);
  const busy = useRunGoingOn(backend, threadId, at === null, started);

  const send = (text: string, attachments: AttachRequest[]) =>
    backend.sendMessage(threadId, text, attachments).then(
      (runId) => {
        setStarted(runId);
        onError(null);
      },
      (e: IpcError) => {
        onError(describe(e));
        throw e;
      },
    );

  return (
    <section className="thread" aria-label="Chat">
      {at !== null && (
        <p className="past-banner" role="status">
          Past view: the chat as it was at event #{at}. Nothing here can be changed.
        </p>
      )}
      {opened ? (
        <Entries store={store} actions={actions} past={at !== null} />
      ) : (
        <p className="empty" aria-busy="true">
          Loading the chat…
        </p>
      )}
      {at === null && <Composer onSend={send} backend={backend} threadId={threadId} busy={busy} />}
    </section>
  );
}

/** Run statuses in which the run is still going on. */
const GOING_ON: ReadonlySet<Run["status"]> = new Set(["Queued", "Running", "WaitingForApproval"]);

/**
 * True while one of the thread's runs is going on, or the run `started` is not yet listed as
 * ended; follows the log's run changes.
 */
function useRunGoingOn(backend: Backend, threadId: string, live: boolean, started: string | null): boolean {
  const runs = useLiveQuery(
    backend,
    () => (live ? backend.threadRuns(threadId) : Promise.resolve([])),
    [backend, threadId, live],
    (change) => live && change.kind === "run" && change.thread_id === threadId,
  );
  const listed = runs.value ?? [];
  const startedEnded =
    started === null || listed.some((run) => run.id === started && !GOING_ON.has(run.status));
  return listed.some((run) => GOING_ON.has(run.status)) || !startedEnded;
}

function Entries({ store, actions, past }: { store: ChatStore; actions: RowActions; past: boolean }) {
  const total = useSyncExternalStore(store.subscribe, () => store.total);
  const version = useSyncExternalStore(store.subscribe, () => store.version);
  const scroller = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  // The app does not use the React Compiler; the virtualizer re-renders this component itself.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => 96,
    overscan: 6,
    initialRect: { width: 800, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    store.show(first, last + 1);
  }, [store, first, last, total]);

  // End-anchored: start at the newest entry, and stay there as text arrives unless the person
  // scrolled up. A scroll position that differs from the one last seen means someone moved it
  // (its scroll event may not have arrived yet): whether to follow is decided from where it is.
  const totalSize = virtualizer.getTotalSize();
  const seenTop = useRef<number | null>(null);
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || total === 0) return;
    if (seenTop.current !== null && el.scrollTop !== seenTop.current) {
      following.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_SLACK;
    }
    if (following.current) el.scrollTop = el.scrollHeight;
    seenTop.current = el.scrollTop;
  }, [total, totalSize, version]);

  if (total === 0) {
    return <p className="empty">No messages yet. Ask Coder something about your project below.</p>;
  }
  return (
    <div
      className="entries"
      ref={scroller}
      role="log"
      aria-label="Messages"
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        following.current = el.scrollHeight - el.scrollTop - el.clientHeight < FOLLOW_SLACK;
        seenTop.current = el.scrollTop;
      }}
    >
      <div className="entries-inner" style={{ height: totalSize }}>
        <div className="entries-window" style={{ transform: `translateY(${items[0]?.start ?? 0}px)` }}>
          {items.map((item) => (
            <div key={item.key} data-index={item.index} className="entry" ref={virtualizer.measureElement}>
              <EntryRow store={store} index={item.index} actions={actions} past={past} />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
