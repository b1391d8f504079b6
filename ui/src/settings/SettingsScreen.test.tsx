// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";

import { fakeBackend } from "../backend/fake";
import type { KeyStatus, Project, Settings, SettingsView } from "../shared/types";
import { SettingsScreen } from "./SettingsScreen";

beforeAll(() => {
  // jsdom has <dialog> but not its modal methods.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute("open");
  };
});

afterEach(cleanup);

const INSECURE = "Allow sending API keys over plain http:// to other computers";

function project(name: string, path: string): Project {
  return { id: `id-${name}`, name, path, tool_approvals: {}, created_at: "", updated_at: "" };
}

const WEB = project("web", "/home/me/web");
const API = project("api", "/home/me/api");

function openaiSettings(patch: Partial<Settings> = {}): Settings {
  return {
    provider: "openai",
    base_url: "https://llm.example.com/v1",
    model: "m",
    prices: {
      input_per_million: 3,
      output_per_million: 15,
      cache_read_per_million: null,
      cache_write_per_million: null,
    },
    max_turns: 25,
    allow_insecure_http: false,
    command_env_allow: {},
    ...patch,
  };
}

function keyStatus(patch: Partial<KeyStatus> = {}): KeyStatus {
  return {
    provider: "openai",
    variable: "OPENAI_API_KEY",
    source: "missing",
    keyring: { state: "empty" },
    ...patch,
  };
}

const ANTHROPIC_KEY: KeyStatus = {
  provider: "anthropic",
  variable: "ANTHROPIC_API_KEY",
  source: "missing",
  keyring: { state: "empty" },
};

function viewOf(settings: Settings, openaiKey: KeyStatus = keyStatus()): SettingsView {
  return {
    settings,
    first_start: false,
    key_variable: "OPENAI_API_KEY",
    keys: [openaiKey, ANTHROPIC_KEY],
    provider_label: "x",
  };
}

/** A backend that keeps saved settings and reads them back, as the app's does. */
function settingsBackend(initial: Settings) {
  let stored = initial;
  const saveSettings = vi.fn(async (settings: Settings) => {
    stored = settings;
  });
  const backend = fakeBackend({ saveSettings, getSettings: async () => viewOf(stored) });
  return { backend, saveSettings };
}

function renderScreen(settings: Settings, { projects = [WEB, API], current = WEB.id as string | null } = {}) {
  const { backend, saveSettings } = settingsBackend(settings);
  const onSaved = vi.fn();
  render(
    <SettingsScreen
      backend={backend}
      view={viewOf(settings)}
      projects={projects}
      currentProjectId={current}
      onSaved={onSaved}
      onClose={() => {}}
    />,
  );
  return { backend, saveSettings, onSaved };
}

function input(label: string | RegExp): HTMLInputElement {
  return screen.getByLabelText<HTMLInputElement>(label);
}

function save() {
  fireEvent.click(screen.getByRole("button", { name: "Save" }));
}

/** The settings of the one save call. */
function savedOnce(saveSettings: ReturnType<typeof vi.fn>): Settings {
  expect(saveSettings).toHaveBeenCalledTimes(1);
  return saveSettings.mock.calls[0][0] as Settings;
}

describe("plain http opt-in", () => {
  it("is off by default, explained, and saved when ticked", async () => {
    const { saveSettings, onSaved } = renderScreen(openaiSettings());
    const box = input(INSECURE);
    expect(box.type).toBe("checkbox");
    expect(box.checked).toBe(false);
    const note = document.getElementById(box.getAttribute("aria-describedby") ?? "");
    expect(note?.textContent, "the checkbox is described by the loopback note").toMatch(
      /this computer \(localhost\) is always allowed/,
    );

    fireEvent.click(box);
    save();
    expect(savedOnce(saveSettings).allow_insecure_http).toBe(true);
    await vi.waitFor(() => expect(onSaved).toHaveBeenCalled());
  });

  it("is not offered for the demo, which sends no key", () => {
    renderScreen({ ...openaiSettings(), provider: "demo", base_url: "", model: "demo" });
    expect(screen.queryByLabelText(INSECURE)).toBeNull();
  });
});

describe("cache prices", () => {
  it("are empty when unset, with the default as placeholder", () => {
    renderScreen(openaiSettings());
    const read = input("$ per million cache-read tokens");
    const write = input("$ per million cache-write tokens");
    expect(read.value).toBe("");
    expect(read.placeholder).toBe("10% of input price");
    expect(write.value).toBe("");
    expect(write.placeholder).toBe("125% of input price");
  });

  it("save a typed price and null for a cleared one, leaving the other prices alone", () => {
    const { saveSettings } = renderScreen(
      openaiSettings({
        prices: {
          input_per_million: 3,
          output_per_million: 15,
          cache_read_per_million: 0.5,
          cache_write_per_million: null,
        },
      }),
    );
    expect(input("$ per million cache-read tokens").value).toBe("0.5");
    fireEvent.change(input("$ per million cache-read tokens"), { target: { value: "" } });
    fireEvent.change(input("$ per million cache-write tokens"), { target: { value: "3.75" } });
    save();
    expect(savedOnce(saveSettings).prices).toEqual({
      input_per_million: 3,
      output_per_million: 15,
      cache_read_per_million: null,
      cache_write_per_million: 3.75,
    });
  });
});

describe("environment variables commands may see", () => {
  const FIELD = /^Variables that commands in web may see/;

  it("shows the open thread's project with its saved names", () => {
    renderScreen(openaiSettings({ command_env_allow: { [WEB.path]: ["GITHUB_TOKEN", "NPM_TOKEN"] } }));
    expect(input(FIELD).value).toBe("GITHUB_TOKEN, NPM_TOKEN");
    expect(input("Project").value, "the project list starts at the open thread's project").toBe(WEB.path);
  });

  it("saves typed names under the project's path and keeps other projects' names", () => {
    const { saveSettings } = renderScreen(
      openaiSettings({ command_env_allow: { "/moved/away": ["KEEP_ME"], [WEB.path]: ["OLD"] } }),
    );
    fireEvent.change(input(FIELD), { target: { value: "GITHUB_TOKEN,  AWS_PROFILE SSH_AUTH_SOCK" } });
    save();
    expect(savedOnce(saveSettings).command_env_allow).toEqual({
      "/moved/away": ["KEEP_ME"],
      [WEB.path]: ["GITHUB_TOKEN", "AWS_PROFILE", "SSH_AUTH_SOCK"],
    });
  });

  it("removes a project whose field is emptied", () => {
    const { saveSettings } = renderScreen(openaiSettings({ command_env_allow: { [WEB.path]: ["OLD"] } }));
    fireEvent.change(input(FIELD), { target: { value: "" } });
    save();
    expect(savedOnce(saveSettings).command_env_allow).toEqual({});
  });

  it("edits another project chosen from the list", () => {
    const { saveSettings } = renderScreen(openaiSettings({ command_env_allow: { [API.path]: ["A"] } }));
    fireEvent.change(input("Project"), { target: { value: API.path } });
    const field = input(/^Variables that commands in api may see/);
    expect(field.value).toBe("A");
    fireEvent.change(field, { target: { value: "A B" } });
    save();
    expect(savedOnce(saveSettings).command_env_allow).toEqual({ [API.path]: ["A", "B"] });
  });

  it("shows an inline error for words that are not names, and does not save", () => {
    const { saveSettings } = renderScreen(openaiSettings());
    const field = input(FIELD);
    fireEvent.change(field, { target: { value: "GOOD 1BAD A-B" } });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toBe(
      "“1BAD”, “A-B” are not variable names. Use letters, digits and underscores, not starting with a digit.",
    );
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(field.getAttribute("aria-describedby"), "screen readers read the error with the field").toContain(
      alert.id,
    );
    save();
    expect(saveSettings).not.toHaveBeenCalled();

    fireEvent.change(field, { target: { value: "GOOD" } });
    expect(screen.queryByRole("alert")).toBeNull();
    expect(field.getAttribute("aria-invalid")).toBe("false");
  });

  it("on save, goes back to another project's field that has bad words", () => {
    const { saveSettings } = renderScreen(openaiSettings());
    fireEvent.change(input("Project"), { target: { value: API.path } });
    fireEvent.change(input(/^Variables that commands in api may see/), { target: { value: "NOT-A-NAME" } });
    fireEvent.change(input("Project"), { target: { value: WEB.path } });
    save();
    expect(saveSettings).not.toHaveBeenCalled();
    const field = input(/^Variables that commands in api may see/);
    expect(document.activeElement, "focus goes to the field to fix").toBe(field);
    expect(screen.getByRole("alert").textContent).toMatch(/^“NOT-A-NAME” is not a variable name\./);
  });

  it("has no project list with one project, and no field without projects", () => {
    renderScreen(openaiSettings(), { projects: [WEB], current: null });
    expect(input(FIELD)).toBeTruthy();
    expect(screen.queryByLabelText("Project")).toBeNull();
    cleanup();
    renderScreen(openaiSettings(), { projects: [], current: null });
    expect(screen.queryByRole("group", { name: "Environment variables commands may see" })).toBeNull();
  });
});

describe("saving", () => {
  it("round-trips every new field through the backend", async () => {
    const { backend, onSaved } = renderScreen(openaiSettings());
    fireEvent.click(input(INSECURE));
    fireEvent.change(input("$ per million cache-read tokens"), { target: { value: "0.25" } });
    fireEvent.change(input(/^Variables that commands in web may see/), { target: { value: "FOO BAR" } });
    save();
    await vi.waitFor(() => expect(onSaved).toHaveBeenCalled());

    const view = await backend.getSettings();
    expect(view.settings).toEqual(
      openaiSettings({
        allow_insecure_http: true,
        prices: {
          input_per_million: 3,
          output_per_million: 15,
          cache_read_per_million: 0.25,
          cache_write_per_million: null,
        },
        command_env_allow: { [WEB.path]: ["FOO", "BAR"] },
      }),
    );

    cleanup();
    render(
      <SettingsScreen
        backend={backend}
        view={view}
        projects={[WEB, API]}
        currentProjectId={WEB.id}
        onSaved={() => {}}
        onClose={() => {}}
      />,
    );
    expect(input(INSECURE).checked).toBe(true);
    expect(input("$ per million cache-read tokens").value).toBe("0.25");
    expect(input(/^Variables that commands in web may see/).value).toBe("FOO, BAR");
  });

  it("shows the words for a refused save", async () => {
    const saveSettings = vi.fn(() =>
      Promise.reject({ code: "provider_insecure_http", message: "the provider would send your API key…" }),
    );
    const backend = fakeBackend({ saveSettings });
    render(
      <SettingsScreen
        backend={backend}
        view={viewOf(openaiSettings({ base_url: "http://llm.example.com/v1" }))}
        projects={[]}
        currentProjectId={null}
        onSaved={() => {}}
        onClose={() => {}}
      />,
    );
    save();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/Use an https:\/\/ address, or allow plain http:\/\/ in Settings\.$/);
  });
});

describe("API key", () => {
  function renderKey(openaiKey: KeyStatus, commands: Parameters<typeof fakeBackend>[0] = {}) {
    render(
      <SettingsScreen
        backend={fakeBackend(commands)}
        view={viewOf(openaiSettings(), openaiKey)}
        projects={[]}
        currentProjectId={null}
        onSaved={() => {}}
        onClose={() => {}}
      />,
    );
    return input("API key");
  }

  function button(name: string): HTMLButtonElement {
    return screen.getByRole<HTMLButtonElement>("button", { name });
  }

  /** The text the key field is described by: its status. */
  function statusOf(field: HTMLInputElement): string {
    return document.getElementById(field.getAttribute("aria-describedby") ?? "")?.textContent ?? "";
  }

  it("is a labelled password field described by where the key comes from", () => {
    const field = renderKey(keyStatus({ source: "environment", keyring: { state: "holds" } }));
    expect(field.type, "a key is never shown on screen").toBe("password");
    expect(statusOf(field)).toMatch(/From OPENAI_API_KEY — the environment wins/);
    expect(statusOf(field)).toMatch(/also stored in the system keyring/);
  });

  it("says when no key is set, and offers no delete then", () => {
    const field = renderKey(keyStatus());
    expect(statusOf(field)).toMatch(/Not set/);
    expect(button("Delete key").disabled, "there is nothing in the keyring to delete").toBe(true);
    expect(button("Save key").disabled, "nothing typed yet").toBe(true);
  });

  it("saves the typed key with set_api_key, clears the field and shows the new status", async () => {
    const setApiKey = vi.fn(async () => keyStatus({ source: "keyring", keyring: { state: "holds" } }));
    const field = renderKey(keyStatus(), { setApiKey });
    fireEvent.change(field, { target: { value: "sk-test-123" } });
    fireEvent.click(button("Save key"));
    expect(setApiKey).toHaveBeenCalledWith("openai", "sk-test-123");
    expect(field.value, "the key is not kept on screen").toBe("");
    await vi.waitFor(() => expect(statusOf(field)).toMatch(/Stored in the system keyring/));
    expect(document.body.textContent, "the key is never shown back").not.toContain("sk-test-123");
  });

  it("saves on Enter without saving the whole settings form", async () => {
    const setApiKey = vi.fn(async () => keyStatus({ source: "keyring", keyring: { state: "holds" } }));
    const saveSettings = vi.fn(async () => {});
    const field = renderKey(keyStatus(), { setApiKey, saveSettings });
    fireEvent.change(field, { target: { value: "sk-test-123" } });
    fireEvent.keyDown(field, { key: "Enter" });
    expect(setApiKey).toHaveBeenCalledWith("openai", "sk-test-123");
    await vi.waitFor(() => expect(statusOf(field)).toMatch(/Stored in the system keyring/));
    expect(saveSettings).not.toHaveBeenCalled();
  });

  it("deletes the stored key with delete_api_key", async () => {
    const deleteApiKey = vi.fn(async () => keyStatus());
    const field = renderKey(keyStatus({ source: "keyring", keyring: { state: "holds" } }), { deleteApiKey });
    expect(statusOf(field)).toMatch(/Stored in the system keyring/);
    fireEvent.click(button("Delete key"));
    expect(deleteApiKey).toHaveBeenCalledWith("openai");
    await vi.waitFor(() => expect(statusOf(field)).toMatch(/Not set/));
  });

  it("shows why the keyring is unavailable and which variable to set, with the field disabled", () => {
    const field = renderKey(
      keyStatus({
        keyring: { state: "unavailable", reason: "no keyring service is running: no session bus" },
      }),
    );
    expect(field.disabled, "nothing could be saved").toBe(true);
    expect(statusOf(field)).toMatch(/Keyring unavailable: no keyring service is running: no session bus/);
    expect(statusOf(field)).toMatch(/Set OPENAI_API_KEY instead/);
  });

  it("shows a refusal in words", async () => {
    const setApiKey = vi.fn(() =>
      Promise.reject({ code: "keyring_refused", message: "the keyring refused access" }),
    );
    const field = renderKey(keyStatus(), { setApiKey });
    fireEvent.change(field, { target: { value: "sk-test-123" } });
    fireEvent.click(button("Save key"));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Unlock it/);
  });

  it("follows the provider chosen, before it is saved", () => {
    renderKey(keyStatus({ source: "environment" }));
    fireEvent.click(input("Anthropic"));
    expect(statusOf(input("API key"))).toMatch(/Not set/);
  });
});

describe("context window", () => {
  it("is the model's own when empty, and saved when given", async () => {
    const { saveSettings, onSaved } = renderScreen(openaiSettings());
    const field = input(/Context window in tokens/);
    expect(field.value).toBe("");
    expect(document.getElementById(field.getAttribute("aria-describedby") ?? "")?.textContent).toMatch(/80%/);
    fireEvent.change(field, { target: { value: "32000" } });
    save();
    expect(savedOnce(saveSettings).context_window_tokens).toBe(32000);
    await vi.waitFor(() => expect(onSaved).toHaveBeenCalled());
  });

  it("goes back to the model's own when cleared", () => {
    const { saveSettings } = renderScreen(openaiSettings({ context_window_tokens: 4096 }));
    const field = input(/Context window in tokens/);
    expect(field.value).toBe("4096");
    fireEvent.change(field, { target: { value: "" } });
    save();
    expect(savedOnce(saveSettings).context_window_tokens).toBeNull();
  });
});
