import { useState } from "react";

import { Markdown } from "../markdown/Markdown";
import type { CompactionView } from "../shared/types";

const tokens = new Intl.NumberFormat("en");

/**
 * The divider after the last message a summary stands for. From here on the model is sent the
 * summary in place of the messages above; they stay in the chat. Folded, it says so; unfolded,
 * it shows the summary (model output: rendered by `Markdown`, which never runs it).
 */
export function CompactionDivider({
  compaction,
  onOpenLink,
}: {
  compaction: CompactionView;
  onOpenLink: (url: string) => void;
}) {
  const how =
    compaction.trigger.kind === "Automatic"
      ? `automatically, as the conversation neared ${compaction.trigger.threshold_percent}% of the model's ${tokens.format(compaction.trigger.window_tokens)}-token window`
      : "by hand";
  return (
    <details className="compaction">
      <summary>
        <strong>Earlier messages summarized</strong>
        {" · "}
        {tokens.format(compaction.replaced_tokens)} → {tokens.format(compaction.summary_tokens)} tokens
      </summary>
      <div className="compaction-summary">
        <p className="note">
          Summarized {how}. The model is sent this summary in place of the messages above.
        </p>
        <Markdown text={compaction.summary} onOpenLink={onOpenLink} />
      </div>
    </details>
  );
}

/**
 * "Summarize up to here": asks the model to summarize the thread through this message. Shows
 * that it works while the summary is written; a failure is reported by `onSummarize`'s caller.
 */
export function SummarizeButton({ onSummarize }: { onSummarize: () => Promise<void> }) {
  const [working, setWorking] = useState(false);
  if (working) {
    return (
      <span role="status" className="summarizing">
        Summarizing…
      </span>
    );
  }
  return (
    <button
      type="button"
      className="quiet"
      onClick={() => {
        setWorking(true);
        onSummarize().finally(() => setWorking(false));
      }}
    >
      Summarize up to here
    </button>
  );
}
