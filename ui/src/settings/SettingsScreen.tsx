import { useState } from "react";

import type { Backend } from "../backend";
import { Dialog } from "../shared/Dialog";
import { describe } from "../shared/errors";
import type { IpcError, Prices, Settings, SettingsView } from "../shared/types";

type Choice = "demo" | "ollama" | "openai" | "anthropic";

const OLLAMA_URL = "http://localhost:11434/v1";

/** The two prices a run's cost is computed from. */
const PRICES: [keyof Prices, string][] = [
  ["input_per_million", "$ per million input tokens"],
  ["output_per_million", "$ per million output tokens"],
];

function choiceOf(s: Settings): Choice {
  if (s.provider === "demo") return "demo";
  if (s.provider === "anthropic") return "anthropic";
  return s.base_url === OLLAMA_URL ? "ollama" : "openai";
}

/** Settings for a choice, keeping what the person typed where it still applies. */
function settingsFor(choice: Choice, s: Settings): Settings {
  switch (choice) {
    case "demo":
      return { ...s, provider: "demo", base_url: "", model: "demo" };
    case "ollama":
      return {
        ...s,
        provider: "openai",
        base_url: OLLAMA_URL,
        model: s.provider === "openai" ? s.model : "llama3.2",
      };
    case "openai":
      return {
        ...s,
        provider: "openai",
        base_url: s.base_url && s.base_url !== OLLAMA_URL ? s.base_url : "https://api.openai.com/v1",
        model: s.model === "demo" ? "gpt-4o-mini" : s.model,
      };
    case "anthropic":
      return {
        ...s,
        provider: "anthropic",
        base_url: "",
        model: s.model === "demo" ? "claude-sonnet-4-5" : s.model,
      };
  }
}

/** Which model provider Coder talks to, and the log. */
export function SettingsScreen({
  backend,
  view,
  onSaved,
  onClose,
}: {
  backend: Backend;
  view: SettingsView;
  onSaved: () => void;
  onClose: () => void;
}) {
  const [settings, setSettings] = useState<Settings>(view.settings);
  const [error, setError] = useState<string | null>(null);
  const choice = choiceOf(settings);
  const set = (patch: Partial<Settings>) => setSettings((s) => ({ ...s, ...patch }));
  const keyVariable =
    choice === "anthropic" ? "ANTHROPIC_API_KEY" : choice === "openai" ? "OPENAI_API_KEY" : null;

  return (
    <Dialog title="Settings" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          backend.saveSettings(settings).then(onSaved, (err: IpcError) => setError(describe(err)));
        }}
      >
        <fieldset>
          <legend>Model provider</legend>
          {(
            [
              ["demo", "Offline demo (scripted answers, no model)"],
              ["ollama", "Ollama on this computer"],
              ["openai", "OpenAI-compatible server (OpenAI, LM Studio, vLLM, llama.cpp…)"],
              ["anthropic", "Anthropic"],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="choice">
              <input
                type="radio"
                name="provider"
                value={value}
                checked={choice === value}
                onChange={() => setSettings((s) => settingsFor(value, s))}
              />{" "}
              {label}
            </label>
          ))}
        </fieldset>
        {choice !== "demo" && (
          <>
            {choice !== "ollama" && (
              <label className="field">
                Server URL{choice === "anthropic" ? " (empty for Anthropic's own)" : ""}
                <input
                  value={settings.base_url}
                  placeholder={
                    choice === "anthropic" ? "https://api.anthropic.com" : "https://api.openai.com/v1"
                  }
                  onChange={(e) => set({ base_url: e.target.value })}
                />
              </label>
            )}
            <label className="field">
              Model
              <input value={settings.model} onChange={(e) => set({ model: e.target.value })} />
            </label>
            <div className="row">
              {PRICES.map(([key, label]) => (
                <label key={key} className="field">
                  {label}
                  <input
                    type="number"
                    min={0}
                    step="0.01"
                    value={settings.prices[key]}
                    onChange={(e) =>
                      set({ prices: { ...settings.prices, [key]: Number(e.target.value) || 0 } })
                    }
                  />
                </label>
              ))}
            </div>
            {keyVariable && (
              <p className="note">
                The API key is read from the environment variable <code>{keyVariable}</code> when Coder
                starts; it is never written to disk by Coder.
                {view.key_variable === keyVariable &&
                  (view.key_present ? " It is set." : " It is not set now.")}
              </p>
            )}
          </>
        )}
        <label className="field">
          Model calls per run at most
          <input
            type="number"
            min={1}
            max={200}
            value={settings.max_turns}
            onChange={(e) => set({ max_turns: Math.max(1, Number(e.target.value) || 1) })}
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <div className="buttons">
          <button type="submit" className="primary">
            Save
          </button>
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="quiet"
            onClick={() => backend.openLog().catch((err: IpcError) => setError(describe(err)))}
          >
            Open log
          </button>
        </div>
        <p className="note">Now: {view.provider_label}</p>
      </form>
    </Dialog>
  );
}
