// The one place that talks to the Tauri shell. Everything else in the UI goes through
// `Backend`, so views can run against a fake backend in tests.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { open as openDialog } from "@tauri-apps/plugin-dialog";

import type {
  ChatPage,
  FileChangeRecord,
  IpcError,
  KeyedProvider,
  KeyStatus,
  Project,
  Run,
  RunPanel,
  Settings,
  SettingsView,
  StreamBatch,
  ThreadSummary,
  TimelineEntry,
  ToolOutput,
  ViewChange,
} from "../shared/types";

export interface Backend {
  listProjects(): Promise<Project[]>;
  addProject(path: string): Promise<string>;
  /** Asks the person for a folder with the system's picker; `null` when they cancel. */
  pickFolder(): Promise<string | null>;

  listThreads(archived: boolean, query: string, projectId: string | null): Promise<ThreadSummary[]>;
  createThread(title: string, projectId: string | null): Promise<string>;
  renameThread(threadId: string, title: string): Promise<void>;
  setArchived(threadId: string, archived: boolean): Promise<void>;
  markRead(threadId: string): Promise<void>;

  chatPage(threadId: string, start: number, count: number): Promise<ChatPage>;
  chatPageAt(threadId: string, sequence: number, start: number, count: number): Promise<ChatPage>;
  sendMessage(threadId: string, text: string): Promise<string>;
  deleteMessage(threadId: string, messageId: string): Promise<void>;
  /** Streams the thread's live text and tool output; returns a function that stops it. */
  openStream(threadId: string, onBatch: (batch: StreamBatch) => void): () => void;

  threadRuns(threadId: string): Promise<Run[]>;
  runPanel(runId: string): Promise<RunPanel>;
  approveStep(runId: string, stepId: string): Promise<void>;
  rejectStep(runId: string, stepId: string, reason: string | null): Promise<void>;
  cancelRun(runId: string): Promise<void>;
  cancelTool(toolUseId: string): Promise<void>;
  /** A finished tool use's whole output; `null` while it has none. */
  toolOutput(runId: string, toolUseId: string): Promise<ToolOutput | null>;

  projectChanges(projectId: string): Promise<FileChangeRecord[]>;
  runChanges(runId: string): Promise<FileChangeRecord[]>;
  fileDiff(projectId: string, sequence: number): Promise<string>;
  revertFile(projectId: string, sequence: number, force: boolean): Promise<void>;
  revertRun(runId: string, force: boolean): Promise<number>;

  threadTimeline(threadId: string): Promise<TimelineEntry[]>;

  getSettings(): Promise<SettingsView>;
  saveSettings(settings: Settings): Promise<void>;
  /** Saves `key` in the system keyring as `provider`'s API key; answers the key's new status. */
  setApiKey(provider: KeyedProvider, key: string): Promise<KeyStatus>;
  /** Deletes `provider`'s API key from the system keyring; answers the key's new status. */
  deleteApiKey(provider: KeyedProvider): Promise<KeyStatus>;
  openLog(): Promise<void>;
  openLink(url: string): Promise<void>;

  /** Resolves once view changes are being received: a read after it misses no change. */
  listening(): Promise<void>;
  /** Calls `onChange` for every view change; returns a function that stops listening. */
  onViewChange(onChange: (change: ViewChange) => void): () => void;
  /** Calls `onReset` when the window fell behind and must reload what it shows. */
  onViewReset(onReset: () => void): () => void;
}

/**
 * One listener per app event, fanned out to subscribers. Subscribing is synchronous once the
 * listener is up (`ready`), so a view that subscribes and then reads misses no change.
 */
function hub<T>(event: string) {
  const handlers = new Set<(payload: T) => void>();
  let listening: Promise<unknown> | null = null;
  const start = () => {
    listening ??= listen<T>(event, (e) => {
      for (const handler of handlers) handler(e.payload);
    });
    return listening;
  };
  return {
    ready: () => start().then(() => undefined),
    subscribe: (handler: (payload: T) => void) => {
      void start();
      handlers.add(handler);
      return () => void handlers.delete(handler);
    },
  };
}

const viewChanges = hub<ViewChange>("view-change");
const viewResets = hub<null>("view-reset");

function isIpcError(value: unknown): value is IpcError {
  return typeof value === "object" && value !== null && "code" in value && "message" in value;
}

/** Calls a command; a failure always arrives as an `IpcError`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isIpcError(error)) throw error;
    throw { code: "ipc_failed", message: String(error) } satisfies IpcError;
  }
}

export const tauriBackend: Backend = {
  listProjects: () => call("list_projects"),
  addProject: (path) => call("add_project", { path }),
  pickFolder: async () => {
    const picked = await openDialog({ directory: true, multiple: false, title: "Add a project folder" });
    return typeof picked === "string" ? picked : null;
  },

  listThreads: (archived, query, projectId) => call("list_threads", { archived, query, projectId }),
  createThread: (title, projectId) => call("create_thread", { title, projectId }),
  renameThread: (threadId, title) => call("rename_thread", { threadId, title }),
  setArchived: (threadId, archived) => call("set_archived", { threadId, archived }),
  markRead: (threadId) => call("mark_read", { threadId }),

  chatPage: (threadId, start, count) => call("chat_page", { threadId, start, count }),
  chatPageAt: (threadId, sequence, start, count) =>
    call("chat_page_at", { threadId, sequence, start, count }),
  sendMessage: (threadId, text) => call("send_message", { threadId, text }),
  deleteMessage: (threadId, messageId) => call("delete_message", { threadId, messageId }),
  openStream: (threadId, onBatch) => {
    const channel = new Channel<StreamBatch>();
    channel.onmessage = onBatch;
    let closed = false;
    let id: number | undefined;
    call<number>("open_stream", { threadId, channel }).then((opened) => {
      id = opened;
      if (closed) void call("close_stream", { id });
    });
    return () => {
      closed = true;
      channel.onmessage = () => {};
      if (id !== undefined) void call("close_stream", { id }).catch(() => {});
    };
  },

  threadRuns: (threadId) => call("thread_runs", { threadId }),
  runPanel: (runId) => call("run_panel", { runId }),
  approveStep: (runId, stepId) => call("approve_step", { runId, stepId }),
  rejectStep: (runId, stepId, reason) => call("reject_step", { runId, stepId, reason }),
  cancelRun: (runId) => call("cancel_run", { runId }),
  cancelTool: (toolUseId) => call("cancel_tool", { toolUseId }),
  toolOutput: (runId, toolUseId) => call("tool_output", { runId, toolUseId }),

  projectChanges: (projectId) => call("project_changes", { projectId }),
  runChanges: (runId) => call("run_changes", { runId }),
  fileDiff: (projectId, sequence) => call("file_diff", { projectId, sequence }),
  revertFile: (projectId, sequence, force) => call("revert_file", { projectId, sequence, force }),
  revertRun: (runId, force) => call("revert_run", { runId, force }),

  threadTimeline: (threadId) => call("thread_timeline", { threadId }),

  getSettings: () => call("get_settings"),
  saveSettings: (settings) => call("save_settings", { settings }),
  setApiKey: (provider, key) => call("set_api_key", { provider, key }),
  deleteApiKey: (provider) => call("delete_api_key", { provider }),
  openLog: () => call("open_log"),
  openLink: (url) => call("open_link", { url }),

  listening: () => Promise.all([viewChanges.ready(), viewResets.ready()]).then(() => undefined),
  onViewChange: (onChange) => viewChanges.subscribe(onChange),
  onViewReset: (onReset) => viewResets.subscribe(() => onReset()),
};
