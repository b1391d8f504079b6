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
