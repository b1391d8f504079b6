import { useEffect, useId, useLayoutEffect, useRef, useState } from "react";

import type { Backend } from "../backend";
import type { AttachRequest, IpcError } from "../shared/types";
import { AttachmentChips, type PendingImage } from "./attachments/AttachmentChips";
import { IMAGE_ACCEPT, imageFiles, storeImage, transferImages } from "./attachments/images";
import { findMention, insertMention, type Mention, mentionKey } from "./attachments/mention";
import { MentionList, optionId } from "./attachments/MentionList";

/** What the composer asks of the backend for attachments. */
export type ComposerBackend = Pick<Backend, "projectFiles" | "attachImage" | "imageData">;

/** How long typing after `@` pauses before the list is asked for (ms). */
const LIST_DELAY = 60;

/** A message written while the thread's run was going on, sent once it ends. */
interface Queued {
  text: string;
  files: string[];
  images: PendingImage[];
}

/** What a message carries to the backend. */
function requests(files: string[], images: PendingImage[]): AttachRequest[] {
  return [
    ...files.map((path): AttachRequest => ({ kind: "File", path })),
    ...images.map((image): AttachRequest => ({ kind: "Image", blob: image.blob, name: image.name })),
  ];
}

/**
 * The message box: Enter sends, Shift+Enter starts a new line. The draft and its attachments
 * stay if sending fails. While the thread's run is going on (`busy`), Enter queues the message
 * instead — one queue, later messages joining it — and it is sent when the run ends; *Cancel*
 * puts it back in the box. `@` at the start of a word opens a list of the project's files; a file
 * chosen from it is attached (read when the message is sent) and shown as a chip. Images are
 * pasted, dropped or picked, stored at once and shown as thumbnails.
 */
export function Composer({
  onSend,
  backend,
  threadId,
  busy = false,
}: {
  onSend: (text: string, attachments: AttachRequest[]) => Promise<unknown>;
  backend: ComposerBackend;
  threadId: string;
  /** A run of the thread is going on: a message is queued until it ends. */
  busy?: boolean;
}) {
  const [draft, setDraft] = useState("");
  const [queued, setQueued] = useState<Queued | null>(null);
  const [sending, setSending] = useState(false);
  const [files, setFiles] = useState<string[]>([]);
  const [images, setImages] = useState<PendingImage[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [mention, setMention] = useState<Mention | null>(null);
  const [found, setFound] = useState<{ query: string; files: string[] | null } | null>(null);
  const [active, setActive] = useState(0);
  const box = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  // Where the caret goes once a chosen file's path is in the text: set as the text is
  // committed, before any further key can land elsewhere.
  const pendingCaret = useRef<number | null>(null);
  useLayoutEffect(() => {
    const caret = pendingCaret.current;
    if (caret === null || !box.current) return;
    pendingCaret.current = null;
    box.current.focus();
    box.current.setSelectionRange(caret, caret);
  }, [draft]);
  const listId = useId().replace(/:/g, "") + "-files";

  const query = mention?.query ?? null;
  useEffect(() => {
    if (query === null) return;
    let live = true;
    const timer = setTimeout(() => {
      backend.projectFiles(threadId, query).then(
        (result) => {
          if (!live) return;
          setFound({ query, files: result });
          setActive(0);
        },
        () => live && setFound({ query, files: [] }),
      );
    }, LIST_DELAY);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [backend, threadId, query]);

  const listed = found?.files ?? [];
  const loading = query !== null && found?.query !== query;
  const open = mention !== null;
  const noProject = found !== null && found.files === null;
  const hasOptions = open && !noProject && listed.length > 0;

  const follow = (text: string, caret: number) => {
    const next = findMention(text, caret);
    setMention(next);
    if (!next) setFound(null);
  };

  const choose = (index: number) => {
    const path = listed[index];
    const textBox = box.current;
    if (!path || !mention || !textBox) return;
    const caret = textBox.selectionStart ?? draft.length;
    const next = insertMention(draft, mention, caret, path);
    pendingCaret.current = next.caret;
    setDraft(next.text);
    setFiles((chosen) => (chosen.includes(path) ? chosen : [...chosen, path]));
    setMention(null);
    setFound(null);
  };

  const addImages = (picked: File[]) => {
    if (picked.length === 0) return;
    setProblem(null);
    for (const file of picked) {
      storeImage(backend, file).then(
        (image) =>
          setImages((stored) => (stored.some((i) => i.blob === image.blob) ? stored : [...stored, image])),
        (e: IpcError | Error) => setProblem(`${file.name || "The image"}: ${e.message}`),
      );
    }
  };

  const clear = () => {
    setDraft("");
    setFiles([]);
    setImages([]);
    setMention(null);
  };

  // The queued message goes as soon as the run ends; if it cannot, it comes back to the box.
  // `inFlight` is the queued message being sent: one written meanwhile starts a queue of its own.
  const inFlight = useRef<Queued | null>(null);
  // Each queued message is sent once, whatever renders come between its send and its answer.
  const flushed = useRef(new WeakSet<Queued>());
  useEffect(() => {
    if (busy || queued === null || inFlight.current !== null || flushed.current.has(queued)) return;
    const message = queued;
    flushed.current.add(message);
    inFlight.current = message;
    const done = () => {
      inFlight.current = null;
      setQueued((now) => (now === message ? null : now));
    };
    onSend(message.text, requests(message.files, message.images)).then(done, (e: IpcError) => {
      done();
      setDraft((now) => (now.trim() ? `${message.text}\n\n${now}` : message.text));
      setFiles((now) => [...message.files, ...now.filter((f) => !message.files.includes(f))]);
      setImages((now) => [...message.images, ...now]);
      if (e?.message) setProblem(e.message);
    });
  }, [busy, queued, onSend]);

  // Set at once, unlike `sending`: a second Enter before the next render must not send twice.
  const sendingNow = useRef(false);
  const send = () => {
    const text = draft.trim();
    const attachments = requests(files, images);
    if ((!text && attachments.length === 0) || sending || sendingNow.current) return;
    if (busy || queued !== null) {
      setQueued((before) => {
        const into = before !== null && before !== inFlight.current ? before : null;
        return {
          text: into?.text ? (text ? `${into.text}\n\n${text}` : into.text) : text,
          files: [...(into?.files ?? []), ...files.filter((f) => !into?.files.includes(f))],
          images: [...(into?.images ?? []), ...images],
        };
      });
      clear();
      box.current?.focus();
      return;
    }
    setSending(true);
    sendingNow.current = true;
    setProblem(null);
    onSend(text, attachments).then(
      () => {
        sendingNow.current = false;
        clear();
        setSending(false);
        box.current?.focus();
      },
      (e: IpcError) => {
        // The chat shows what went wrong in general; an attachment's own reason is said here.
        if (attachments.length > 0 && e?.message) setProblem(e.message);
        sendingNow.current = false;
        setSending(false);
      },
    );
  };

  const empty = draft.trim() === "" && files.length === 0 && images.length === 0;
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes("Files")) e.preventDefault();
      }}
      onDrop={(e) => {
        const dropped = transferImages(e.dataTransfer);
        if (dropped.length === 0) return;
        e.preventDefault();
        addImages(dropped);
      }}
    >
      <div className="composer-main">
        {open && (
          <MentionList
            id={listId}
            files={listed}
            active={active}
            loading={loading}
            noProject={noProject}
            onChoose={choose}
            onHighlight={setActive}
          />
        )}
        <AttachmentChips
          files={files}
          images={images}
          onRemoveFile={(path) => setFiles((chosen) => chosen.filter((p) => p !== path))}
          onRemoveImage={(blob) => setImages((stored) => stored.filter((i) => i.blob !== blob))}
        />
        <textarea
          ref={box}
          autoFocus
          aria-label="Message"
          aria-autocomplete="list"
          aria-controls={hasOptions ? listId : undefined}
          aria-activedescendant={hasOptions ? optionId(listId, active) : undefined}
          aria-describedby={problem ? `${listId}-problem` : undefined}
          placeholder="Ask about your project — @ attaches a file, Enter sends, Shift+Enter for a new line"
          value={draft}
          rows={3}
          onChange={(e) => {
            setDraft(e.target.value);
            follow(e.target.value, e.target.selectionStart ?? e.target.value.length);
          }}
          onSelect={(e) => {
            const target = e.currentTarget;
            if (open) follow(target.value, target.selectionStart ?? target.value.length);
          }}
          onBlur={() => setMention(null)}
          onPaste={(e) => {
            const pasted = transferImages(e.clipboardData);
            if (pasted.length === 0) return;
            e.preventDefault();
            addImages(pasted);
          }}
          onKeyDown={(e) => {
            if (e.nativeEvent.isComposing) return;
            if (open) {
              const action = mentionKey(e.key, hasOptions ? listed.length : 0, active);
              if (action) {
                e.preventDefault();
                if (action.kind === "move") setActive(action.active);
                else if (action.kind === "choose") choose(action.index);
                else {
                  setMention(null);
                  setFound(null);
                }
                return;
              }
            }
            if (e.key === "Enter" && !e.shiftKey) {
              e.preventDefault();
              send();
            }
          }}
        />
        {queued && (
          <div className="composer-queued" role="status">
            <span>
              <strong>Queued</strong>, sent when this run ends: {summaryOf(queued)}
            </span>
            <button
              type="button"
              className="quiet"
              onClick={() => {
                setDraft((now) => (now.trim() ? `${queued.text}\n\n${now}` : queued.text));
                setFiles((now) => [...queued.files, ...now.filter((f) => !queued.files.includes(f))]);
                setImages((now) => [...queued.images, ...now]);
                setQueued(null);
                box.current?.focus();
              }}
            >
              Cancel queued message
            </button>
          </div>
        )}
        {problem && (
          <p className="composer-error" role="alert" id={`${listId}-problem`}>
            {problem}
          </p>
        )}
      </div>
      <div className="composer-actions">
        <button type="button" onClick={() => picker.current?.click()}>
          Attach image
        </button>
        <input
          ref={picker}
          type="file"
          className="visually-hidden"
          accept={IMAGE_ACCEPT}
          multiple
          tabIndex={-1}
          aria-label="Attach image"
          data-testid="image-picker"
          onChange={(e) => {
            addImages(imageFiles(e.target.files));
            e.target.value = "";
          }}
        />
        <button type="submit" className="primary" disabled={sending || empty}>
          {busy ? "Queue" : "Send"}
        </button>
      </div>
    </form>
  );
}

/** A queued message in a few words: its first line, and what it attaches. */
function summaryOf(queued: Queued): string {
  const line = queued.text.split("\n")[0] ?? "";
  const words = line.length > 80 ? `${line.slice(0, 80)}…` : line;
  const attached = queued.files.length + queued.images.length;
  const extra = attached > 0 ? ` (+${attached} attached)` : "";
  return `“${words}”${extra}`;
}
