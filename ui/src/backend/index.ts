// The one place that talks to the Tauri shell. Everything else in the UI goes through
// `Backend`, so views can run against a fake backend in tests.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { open as openDialog } from "@tauri-apps/plugin-dialog";

import type {
  AttachRequest,
  ChatPage,
  FileChangeRecord,
  IpcError,
  KeyedProvider,
  KeyStatus,
  ListedRule,
  PermissionRule,
  Project,
  RuleSuggestion,
  Run,
  RunPanel,
  Settings,
  SettingsView,
  StoredImage,
  StreamBatch,
  ThreadSummary,
  TimelineEntry,
  ToolDetail,
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
  sendMessage(threadId: string, text: string, attachments?: AttachRequest[]): Promise<string>;
  /** The files of the thread's project matching `query` (the `@` list); `null` without a project. */
  projectFiles(threadId: string, query: string): Promise<string[] | null>;
  /** Stores an image to attach; refused unless it is a PNG, JPEG or WebP within the size limit. */
  attachImage(bytes: Uint8Array): Promise<StoredImage>;
  /** A stored image as a `data:` URL, for a thumbnail. */
  imageData(blob: string): Promise<string>;
  deleteMessage(threadId: string, messageId: string): Promise<void>;
  /** "Summarize up to here": resolves with the run that wrote the summary, once it is recorded. */
  summarizeThread(threadId: string, messageId: string): Promise<string>;
  /** Streams the thread's live text and tool output; returns a function that stops it. */
  openStream(threadId: string, onBatch: (batch: StreamBatch) => void): () => void;

  threadRuns(threadId: string): Promise<Run[]>;
  runPanel(runId: string): Promise<RunPanel>;
  approveStep(runId: string, stepId: string): Promise<void>;
  rejectStep(runId: string, stepId: string, reason: string | null): Promise<void>;
  cancelRun(runId: string): Promise<void>;
  /** Goes on from a run stopped at its turn limit; answers the new run. */
  continueRun(runId: string): Promise<string>;
  cancelTool(toolUseId: string): Promise<void>;
  /** A finished tool use's whole output; `null` while it has none. */
  toolOutput(runId: string, toolUseId: string): Promise<ToolOutput | null>;
  /** What an opened tool card shows: the call's input (long texts cut), output and diff. */
  toolDetail(runId: string, toolUseId: string): Promise<ToolDetail>;

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

  /** The project's permission rules, then the global ones (only those for `projectId` null). */
  listRules(projectId: string | null): Promise<ListedRule[]>;
  /** Adds a rule to the project, or to the global rules for `projectId` null; answers it as stored. */
  addRule(projectId: string | null, rule: PermissionRule): Promise<PermissionRule>;
  removeRule(projectId: string | null, rule: PermissionRule): Promise<void>;
  /** The rule an approval card offers for a waiting step; `null` when there is none. */
  ruleSuggestion(runId: string, stepId: string): Promise<RuleSuggestion | null>;
  /** Adds `rule` to the run's project and approves the step. */
  alwaysAllowStep(runId: string, stepId: string, rule: PermissionRule): Promise<void>;
  openLog(): Promise<void>;
  openLink(url: string): Promise<void>;
  /** The thread that was open when the app last closed, if it still exists and is not archived. */
  lastOpenThread(): Promise<string | null>;
  /** Remembers the open thread for the next start. */
  rememberOpenThread(threadId: string | null): Promise<void>;

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
async function call<T>(command: string, args?: Record<string, unknown> | Uint8Array): Promise<T> {
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
  sendMessage: (threadId, text, attachments) => call("send_message", { threadId, text, attachments }),
  projectFiles: (threadId, query) => call("project_files", { threadId, query }),
  attachImage: (bytes) => call("attach_image", bytes),
  imageData: (blob) => call("image_data", { blob }),
  deleteMessage: (threadId, messageId) => call("delete_message", { threadId, messageId }),
  summarizeThread: (threadId, messageId) => call("summarize_thread", { threadId, messageId }),
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
  continueRun: (runId) => call("continue_run", { runId }),
  cancelTool: (toolUseId) => call("cancel_tool", { toolUseId }),
  toolOutput: (runId, toolUseId) => call("tool_output", { runId, toolUseId }),
  toolDetail: (runId, toolUseId) => call("tool_detail", { runId, toolUseId }),

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
  listRules: (projectId) => call("list_rules", { projectId }),
  addRule: (projectId, rule) => call("add_rule", { projectId, rule }),
  removeRule: (projectId, rule) => call("remove_rule", { projectId, rule }),
  ruleSuggestion: (runId, stepId) => call("rule_suggestion", { runId, stepId }),
  alwaysAllowStep: (runId, stepId, rule) => call("always_allow_step", { runId, stepId, rule }),
  openLog: () => call("open_log"),
  openLink: (url) => call("open_link", { url }),
  lastOpenThread: () => call("last_open_thread"),
  rememberOpenThread: (threadId) => call("remember_open_thread", { threadId }),

  listening: () => Promise.all([viewChanges.ready(), viewResets.ready()]).then(() => undefined),
  onViewChange: (onChange) => viewChanges.subscribe(onChange),
  onViewReset: (onReset) => viewResets.subscribe(() => onReset()),
};
