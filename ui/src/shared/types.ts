// Shapes that cross the IPC boundary, as the Rust side serializes them.

export interface IpcError {
  code: string;
  message: string;
}

export interface ThreadSummary {
  id: string;
  title: string;
  last_message_preview: string;
  last_updated: string;
  message_count: number;
  unread_count: number;
  archived: boolean;
  project_id: string | null;
}

export interface MessageEntry {
  kind: "Message";
  id: string;
  content: string;
  role: "User" | "Assistant" | "System";
  timestamp: string;
  tool_uses: string[];
  streaming: boolean;
  interrupted: boolean;
}

export interface ToolUseEntry {
  kind: "ToolUse";
  id: string;
  tool_name: string;
  input_summary: string;
  output_summary: string | null;
  status: "Pending" | "Running" | "Success" | "Failed" | "Cancelled";
  duration_ms: number | null;
  error: string | null;
  awaiting_approval: boolean;
}

export type ChatEntry = MessageEntry | ToolUseEntry;

export interface ChatPage {
  total: number;
  start: number;
  entries: ChatEntry[];
  streaming: [string, string] | null;
}

/// What the engine says changed (only the parts the UI reads).
export interface ViewChange {
  kind: "chat" | "thread_summary" | "run" | "project";
  thread_id?: string;
}

export interface LiveTextDelta {
  kind: "text_delta";
  thread_id: string;
  message_id: string;
  text: string;
}
