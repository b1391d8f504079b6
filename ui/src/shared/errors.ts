// What each error code means to the person using Coder. Codes come from the Rust side
// (`DomainError::code`, the engine's and the shell's codes); an unknown code falls back to the
// message the backend sent.
import type { IpcError } from "./types";

const WORDS: Record<string, string> = {
  empty_message: "Write something before sending.",
  too_large: "That is too large to send.",
  invalid_input: "Some of what you entered is not valid.",
  not_found: "That no longer exists. It may have been deleted.",
  already_exists: "That already exists.",
  thread_archived: "This thread is archived. Unarchive it to continue.",
  illegal_transition: "That cannot be done at this point.",
  step_not_awaiting_approval: "This step is not waiting for approval any more.",
  approval_already_decided: "This step has already been decided.",
  stale_file_change: "The file changed since Coder last saw it.",
  nothing_to_change: "There is nothing to change.",
  store_locked: "Another Coder window is using your data.",
  store_read_only: "Your data was written by a newer version of Coder; update Coder to make changes.",
  store_write_failed: "Coder could not save that. Check that the disk has space.",
  ipc_failed: "Coder's window lost contact with the app. Restart Coder.",
};

/// A sentence for the person, for any error the backend reports.
export function describe(error: IpcError): string {
  return WORDS[error.code] ?? error.message;
}

/// Every code this table has words for.
export const KNOWN_CODES = Object.keys(WORDS);
