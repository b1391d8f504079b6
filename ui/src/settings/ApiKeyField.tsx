import { useId, useState } from "react";

import type { Backend } from "../backend";
import { describe } from "../shared/errors";
import type { IpcError, KeyStatus } from "../shared/types";

/** Where the key comes from now, in words; never the key itself. */
function sourceText(status: KeyStatus): string {
  switch (status.source) {
    case "environment":
      return `From ${status.variable} — the environment wins.`;
    case "keyring":
      return "Stored in the system keyring.";
    case "missing":
      return "Not set.";
  }
}

/** Why the keyring cannot be used, ending with the variable to set instead. */
function unavailableText(status: KeyStatus, reason: string): string {
  const instead = reason.includes(status.variable) ? "" : ` Set ${status.variable} instead.`;
  return `Keyring unavailable: ${reason.replace(/\.$/, "")}.${instead}`;
}

/** A provider's API key: saved to or deleted from the system keyring, with where the key comes
 * from now. The key typed is sent once and then cleared; it is never shown back. */
export function ApiKeyField({
  backend,
  status,
  onStatus,
}: {
  backend: Backend;
  status: KeyStatus;
  onStatus: (status: KeyStatus) => void;
}) {
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const statusId = useId();
  const keyring = status.keyring;
  const unavailable = keyring.state === "unavailable";

  const run = (call: Promise<KeyStatus>) => {
    setBusy(true);
    setError(null);
    call.then(onStatus, (err: IpcError) => setError(describe(err))).finally(() => setBusy(false));
  };
  const saveKey = () => {
    if (unavailable || busy || draft.trim() === "") return;
    const key = draft;
    setDraft("");
    run(backend.setApiKey(status.provider, key));
  };

  return (
    <div className="api-key">
      <label className="field">
        API key
        <input
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={draft}
          disabled={unavailable}
          aria-describedby={statusId}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            // Enter saves the key, not the whole settings form around it.
            if (e.key === "Enter") {
              e.preventDefault();
              saveKey();
            }
          }}
        />
      </label>
      <div className="buttons">
        <button type="button" disabled={unavailable || busy || draft.trim() === ""} onClick={saveKey}>
          Save key
        </button>
        <button
          type="button"
          disabled={busy || keyring.state !== "holds"}
          onClick={() => run(backend.deleteApiKey(status.provider))}
        >
          Delete key
        </button>
      </div>
      <div id={statusId} className="note" aria-live="polite">
        <p>
          {sourceText(status)}
          {status.source === "environment" &&
            keyring.state === "holds" &&
            " A key is also stored in the system keyring."}
        </p>
        {keyring.state === "unavailable" && <p>{unavailableText(status, keyring.reason)}</p>}
        <p>Coder never writes the key to its settings, its log or its data.</p>
      </div>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </div>
  );
}
