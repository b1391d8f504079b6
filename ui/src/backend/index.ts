// The one place that talks to the Tauri shell. Everything else in the UI goes through
// `Backend`, so views can run against a fake backend in tests.
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import type { ChatPage, IpcError, LiveTextDelta, ThreadSummary, ViewChange } from "../shared/types";

export interface Backend {
  providerLabel(): Promise<string>;
  listThreads(archived: boolean, query: string): Promise<ThreadSummary[]>;
  createThread(title: string): Promise<string>;
  chatPage(threadId: string, start: number, count: number): Promise<ChatPage>;
  sendMessage(threadId: string, text: string): Promise<string>;
  markRead(threadId: string): Promise<void>;
  /// Calls `onChange` for every view change; returns a function that stops listening.
  onViewChange(onChange: (change: ViewChange) => void): () => void;
  /// Calls `onDelta` for every streamed piece of text; returns a function that stops listening.
  onTextDelta(onDelta: (delta: LiveTextDelta) => void): () => void;
}

/// Listens to an app event; the returned function stops listening, also before listening began.
function subscribe<T>(event: string, handler: (payload: T) => void): () => void {
  let stopped = false;
  let stop: (() => void) | undefined;
  listen<T>(event, (e) => handler(e.payload)).then((unlisten) => {
    if (stopped) unlisten();
    else stop = unlisten;
  });
  return () => {
    stopped = true;
    stop?.();
  };
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
  chatPage: (threadId, start, count) => call<ChatPage>("chat_page", { threadId, start, count }),
  sendMessage: (threadId, text) => call<string>("send_message", { threadId, text }),
  markRead: (threadId) => call<void>("mark_read", { threadId }),
  onViewChange: (onChange) => subscribe<ViewChange>("view-change", onChange),
  onTextDelta: (onDelta) =>
    subscribe<{ kind: string } & LiveTextDelta>("live", (event) => {
      if (event.kind === "text_delta") onDelta(event);
    }),
};
