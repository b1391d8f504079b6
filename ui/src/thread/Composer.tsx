import { useRef, useState } from "react";

/** The message box: Enter sends, Shift+Enter starts a new line. The draft stays if sending fails. */
export function Composer({ onSend }: { onSend: (text: string) => Promise<unknown> }) {
  const [draft, setDraft] = useState("");
  const [sending, setSending] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);

  const send = () => {
    const text = draft.trim();
    if (!text || sending) return;
    setSending(true);
    onSend(text).then(
      () => {
        setDraft("");
        setSending(false);
        box.current?.focus();
      },
      () => setSending(false),
    );
  };

  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <textarea
        ref={box}
        autoFocus
        aria-label="Message"
        placeholder="Ask about your project — Enter sends, Shift+Enter for a new line"
        value={draft}
        rows={3}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            send();
          }
        }}
      />
      <button type="submit" className="primary" disabled={sending || draft.trim() === ""}>
        Send
      </button>
    </form>
  );
}
