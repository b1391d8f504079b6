// The one place that talks to the Tauri shell. Everything else in the UI goes through
// `Backend`, so views can run against a fake backend in tests.
import { invoke } from "@tauri-apps/api/core";

import type { IpcError, ThreadSummary } from "../shared/types";

export interface Backend {
  providerLabel(): Promise<string>;
  listThreads(archived: boolean, query: string): Promise<ThreadSummary[]>;
  createThread(title: string): Promise<string>;
}

function isIpcError(value: unknown): value is IpcError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

/// Calls a command; a failure always arrives as an `IpcError`.
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isIpcError(error)) throw error;
    throw { code: "ipc_failed", message: String(error) } satisfies IpcError;
  }
}

export const tauriBackend: Backend = {
  providerLabel: () => call<string>("provider_label"),
  listThreads: (archived, query) => call<ThreadSummary[]>("list_threads", { archived, query }),
  createThread: (title) => call<string>("create_thread", { title }),
};
