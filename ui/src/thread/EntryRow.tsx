import { memo, useSyncExternalStore } from "react";

import { splitBlocks } from "../markdown/blocks";
import { Markdown } from "../markdown/Markdown";
import type { ChatEntry, MessageView, ToolDetail } from "../shared/types";
import { SentAttachments } from "./attachments/AttachmentChips";
import type { ChatStore } from "./chatStore";
import { CompactionDivider, SummarizeButton } from "./Compaction";
import { ToolCard } from "./ToolCard";

export interface RowActions {
  openLink: (url: string) => void;
  deleteMessage: (messageId: string) => void;
  cancelTool: (toolUseId: string) => void;
  loadDetail: (runId: string, toolUseId: string) => Promise<ToolDetail>;
  reviewRun: (runId: string) => void;
  /** "Summarize up to here": resolves once the summary is recorded or the failure reported. */
  summarize: (messageId: string) => Promise<void>;
  /** A stored image as a `data:` URL, for a thumbnail. */
  loadImage: (blob: string) => Promise<string>;
}

const WHO: Record<MessageView["role"], string> = { User: "You", Assistant: "Coder", System: "System" };

/** One row of the chat: a message or a tool card. Re-renders only when its own entry or its
 * own streamed text changes. */
export const EntryRow = memo(function EntryRow({
  store,
  index,
  actions,
  past,
}: {
  store: ChatStore;
  index: number;
  actions: RowActions;
  past: boolean;
}) {
  const entry = useSyncExternalStore(store.subscribe, () => store.entryAt(index));
  if (!entry) {
    return <div className="row-placeholder" aria-busy="true" />;
  }
  if (entry.kind === "ToolUse") {
    return <ToolRow store={store} entry={entry} actions={actions} past={past} />;
  }
  return (
    <>
      <MessageRow store={store} entry={entry} actions={actions} past={past} />
      {entry.compaction && <CompactionDivider compaction={entry.compaction} onOpenLink={actions.openLink} />}
    </>
  );
});

function ToolRow({
  store,
  entry,
  actions,
  past,
}: {
  store: ChatStore;
  entry: Extract<ChatEntry, { kind: "ToolUse" }>;
  actions: RowActions;
  past: boolean;
}) {
  const lines = useSyncExternalStore(store.subscribe, () => store.toolOutput(entry.id));
  const noop = () => {};
  return (
    <ToolCard
      tool={entry}
      liveOutput={lines}
      onCancel={past ? noop : actions.cancelTool}
      loadDetail={actions.loadDetail}
      onReview={actions.reviewRun}
    />
  );
}

function MessageRow({
  store,
  entry,
  actions,
  past,
}: {
  store: ChatStore;
  entry: Extract<ChatEntry, { kind: "Message" }>;
  actions: RowActions;
  past: boolean;
}) {
  const live = useSyncExternalStore(store.subscribe, () => (entry.streaming ? store.liveText(entry.id) : ""));
  const text = entry.streaming ? live : entry.content;
  const role = entry.role.toLowerCase();
  return (
    <article className={`message ${role}`} data-role={role} data-streaming={entry.streaming}>
      <header>
        <span className="who">{WHO[entry.role]}</span>
        <time dateTime={entry.timestamp}>{new Date(entry.timestamp).toLocaleTimeString()}</time>
        {!entry.streaming && !past && (
          <button
            type="button"
            className="quiet"
            aria-label="Delete message"
            title="Delete message"
            onClick={() => actions.deleteMessage(entry.id)}
          >
            ✕
          </button>
        )}
        {!entry.streaming && !past && !entry.compaction && entry.role !== "System" && (
          <SummarizeButton onSummarize={() => actions.summarize(entry.id)} />
        )}
      </header>
      <div className="message-body">
        {entry.streaming ? (
          // Finished blocks keep their rendering; only the one being written is parsed again.
          splitBlocks(text).map((block, i) => <Markdown key={i} text={block} onOpenLink={actions.openLink} />)
        ) : (
          <Markdown text={text} onOpenLink={actions.openLink} />
        )}
        {entry.streaming && (
          <span className="typing" role="status" aria-label="Coder is typing">
            <span />
            <span />
            <span />
          </span>
        )}
        {entry.interrupted && <p className="note">This reply was cut off.</p>}
        <SentAttachments attachments={entry.attachments} loadImage={actions.loadImage} />
      </div>
    </article>
  );
}
