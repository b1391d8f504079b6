import { useId, useRef, useState } from "react";

import type { Backend } from "../backend";
import { Dialog } from "../shared/Dialog";
import { describe } from "../shared/errors";
import type { IpcError, KeyStatus, Prices, Project, Settings, SettingsView } from "../shared/types";
import { ApiKeyField } from "./ApiKeyField";
import { CommandEnvField } from "./CommandEnvField";
import { RulesField } from "./RulesField";
import { formatNames, parseNames, withDrafts } from "./envNames";

type Choice = "demo" | "ollama" | "openai" | "anthropic";

const OLLAMA_URL = "http://localhost:11434/v1";

type PriceKey = "input_per_million" | "output_per_million";
type CachePriceKey = "cache_read_per_million" | "cache_write_per_million";

/** The two prices a run's cost is computed from. */
const PRICES: [PriceKey, string][] = [
  ["input_per_million", "$ per million input tokens"],
  ["output_per_million", "$ per million output tokens"],
];

/** The prompt cache's prices, each optional: unset, it is this share of the input price (the
 * backend's `DEFAULT_CACHE_READ_SHARE` and `DEFAULT_CACHE_WRITE_SHARE`). */
const CACHE_PRICES: [CachePriceKey, string, string][] = [
  ["cache_read_per_million", "$ per million cache-read tokens", "10% of input price"],
  ["cache_write_per_million", "$ per million cache-write tokens", "125% of input price"],
];

/** One price in $ per million tokens, as a labelled number field. */
function PriceField(props: {
  label: string;
  value: number | string;
  placeholder?: string;
  onChange: (typed: string) => void;
}) {
  return (
    <label className="field">
      {props.label}
      <input
        type="number"
        min={0}
        step="0.01"
        placeholder={props.placeholder}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  );
}

/** An optional price as typed: empty (or not a number) is unset, otherwise at least 0. */
function optionalPrice(typed: string): number | null {
  const price = Number(typed);
  return typed.trim() === "" || !Number.isFinite(price) ? null : Math.max(0, price);
}

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

/** Which model provider Coder talks to, what commands may see, and the log. `projects` and
 * `currentProjectId` (the open thread's project) choose whose environment variables are shown. */
export function SettingsScreen({
  backend,
  view,
  projects,
  currentProjectId,
  onSaved,
  onClose,
}: {
  backend: Backend;
  view: SettingsView;
  projects: readonly Project[];
  currentProjectId: string | null;
  onSaved: () => void;
  onClose: () => void;
}) {
  const [settings, setSettings] = useState<Settings>(view.settings);
  const [error, setError] = useState<string | null>(null);
  // Lines of variable names as typed, by project path; only projects whose line was edited.
  const [envDrafts, setEnvDrafts] = useState<Record<string, string>>({});
  const [envShown, setEnvShown] = useState<string | null>(
    () => (projects.find((p) => p.id === currentProjectId) ?? projects[0])?.path ?? null,
  );
  const envInput = useRef<HTMLInputElement>(null);
  const insecureNote = useId();
  const choice = choiceOf(settings);
  const set = (patch: Partial<Settings>) => setSettings((s) => ({ ...s, ...patch }));
  const setPrices = (patch: Partial<Prices>) =>
    setSettings((s) => ({ ...s, prices: { ...s.prices, ...patch } }));
  const envText = (path: string) => envDrafts[path] ?? formatNames(settings.command_env_allow[path] ?? []);
  const keyVariable =
    choice === "anthropic" ? "ANTHROPIC_API_KEY" : choice === "openai" ? "OPENAI_API_KEY" : null;
  // Each provider's key as the backend last reported it; updated by saving or deleting one.
  const [keys, setKeys] = useState<readonly KeyStatus[]>(view.keys);
  const keyStatus = keys.find((k) => k.variable === keyVariable);

  const save = () => {
    // A line with words that are not names is not saved: show it, with its error, and go there.
    const invalid = Object.keys(envDrafts).find((path) => parseNames(envDrafts[path]).invalid.length > 0);
    if (invalid !== undefined) {
      setEnvShown(invalid);
      envInput.current?.focus();
      return;
    }
    const saved = { ...settings, command_env_allow: withDrafts(settings.command_env_allow, envDrafts) };
    backend.saveSettings(saved).then(onSaved, (err: IpcError) => setError(describe(err)));
  };

  return (
    <Dialog title="Settings" onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save();
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
                <PriceField
                  key={key}
                  label={label}
                  value={settings.prices[key]}
                  onChange={(typed) => setPrices({ [key]: Number(typed) || 0 })}
                />
              ))}
            </div>
            <div className="row">
              {CACHE_PRICES.map(([key, label, placeholder]) => (
                <PriceField
                  key={key}
                  label={label}
                  placeholder={placeholder}
                  value={settings.prices[key] ?? ""}
                  onChange={(typed) => setPrices({ [key]: optionalPrice(typed) })}
                />
              ))}
            </div>
            {keyStatus && (
              <ApiKeyField
                backend={backend}
                status={keyStatus}
                onStatus={(status) =>
                  setKeys((ks) => ks.map((k) => (k.provider === status.provider ? status : k)))
                }
              />
            )}
            {keyVariable && (
              <div>
                <label className="choice">
                  <input
                    type="checkbox"
                    checked={settings.allow_insecure_http}
                    aria-describedby={insecureNote}
                    onChange={(e) => set({ allow_insecure_http: e.target.checked })}
                  />{" "}
                  Allow sending API keys over plain http:// to other computers
                </label>
                <p className="note" id={insecureNote}>
                  Plain http:// to this computer (localhost) is always allowed.
                </p>
              </div>
            )}
          </>
        )}
        {envShown !== null && (
          <CommandEnvField
            projects={projects}
            shown={envShown}
            text={envText(envShown)}
            inputRef={envInput}
            onShow={setEnvShown}
            onText={(path, text) => setEnvDrafts((d) => ({ ...d, [path]: text }))}
          />
        )}
        <RulesField
          backend={backend}
          projects={projects}
          currentProjectId={currentProjectId}
          onGlobalRules={(rules) => set({ rules })}
        />
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
        <label className="field">
          Context window in tokens
          <input
            type="number"
            min={1024}
            max={20000000}
            placeholder="The model's own"
            aria-describedby="context-window-help"
            value={settings.context_window_tokens ?? ""}
            onChange={(e) => {
              const tokens = Math.floor(Number(e.target.value));
              set({ context_window_tokens: e.target.value === "" || !(tokens > 0) ? null : tokens });
            }}
          />
          <small id="context-window-help" className="note">
            Older messages are summarized before a request would pass 80% of it. Empty: the window known for
            the model (8,192 tokens for a model Coder does not know).
          </small>
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
