// What each error code means to the person using Coder. The codes are the generated `ErrorCode`
// (src-tauri/src/error.rs), so a new code without words here fails `tsc`. A code this build does
// not know falls back to the message the backend sent.
import type { ErrorCode } from "../generated";

const WORDS: Record<ErrorCode, string> = {
  // Refused by the rules of threads, runs and files.
  empty_message: "Write something before sending.",
  too_large: "That is too large. Try something shorter or smaller.",
  invalid_input: "Some of what you entered is not valid.",
  not_found: "That no longer exists. It may have been deleted.",
  already_exists: "That already exists.",
  thread_archived: "This thread is archived. Unarchive it to continue.",
  illegal_transition: "That cannot be done at this point.",
  step_not_awaiting_approval: "This step is not waiting for approval any more.",
  approval_already_decided: "This step was already approved or rejected.",
  stale_file_change: "The file changed since Coder last saw it.",
  nothing_to_change: "There is nothing to change.",
  // Where Coder keeps your data.
  store_locked: "Another Coder window is using your data. Close it and try again.",
  store_unavailable: "Coder could not open the folder where it keeps your data.",
  store_unreadable: "Coder could not read your saved data.",
  store_read_only: "Your data was written by a newer version of Coder; update Coder to make changes.",
  store_write_failed: "Coder could not save that. Check that the disk has space.",
  store_damaged:
    "Coder's data file is damaged: part of it was changed outside Coder. Restore it from a backup; the command “coder verify” shows what is affected.",
  conflict: "Something else changed this at the same moment. Try again.",
  engine_stopped: "Coder is shutting down and cannot do that now.",
  no_data_dir: "Coder has no folder to keep your data in. Set CODER_DATA_DIR or HOME.",
  recovery_failed: "Coder could not recover your data after it last stopped.",
  // Projects and the files the agent changed.
  project_folder: "The project's folder cannot be opened. It may have been moved or deleted.",
  file_changed_since:
    "The file was changed after this change was made; reverting it would overwrite that work.",
  content_missing: "Coder no longer has this file's content, so it cannot show or restore it.",
  file_io: "Coder could not read or write the file.",
  query_failed: "Coder could not look up that change.",
  outside_project:
    "This change names a file outside the project, so Coder will not touch it. It may come from an imported log.",
  // Settings and the model provider.
  settings_invalid: "The settings file is not valid. Fix it or save new settings.",
  settings_inaccessible: "Coder could not read or save its settings.",
  provider_rejected: "The model provider refused the request.",
  provider_timeout: "The model provider did not answer in time.",
  provider_malformed: "The model provider sent an answer Coder could not understand.",
  provider_disconnected: "The connection to the model provider was lost.",
  provider_unreachable: "Coder cannot reach the model provider. Check its address and your connection.",
  provider_not_configured: "The model provider is not set up. Check the settings and the API key.",
  provider_too_large: "The model provider sent an answer larger than Coder accepts.",
  provider_insecure_http:
    "The provider's address starts with http:// and is on another computer, so your API key would travel unencrypted. Use an https:// address, or allow plain http:// in Settings.",
  provider_redirected:
    "The model provider sent Coder to a different address; Coder refused so that your API key stays with the provider. Check the server URL in Settings.",
  provider_images_unsupported:
    "This model does not accept images. Remove the image, or choose a model with vision in Settings.",
  // API keys in the system keyring.
  keyring_unavailable:
    "No system keyring is available, so the key cannot be saved. Set the provider's API key environment variable instead.",
  keyring_refused: "The system keyring refused access. Unlock it and try again.",
  key_invalid:
    "That is not a valid API key: it must be visible characters only, without spaces, and not empty.",
  key_unusable: "The keyring holds something for this provider that is not a usable key. Save the key again.",
  provider_unknown: "That provider has no API key.",
  // Permission rules.
  rule_pattern_empty: "A rule needs a pattern. Use * to match everything.",
  rule_pattern_invalid: "That pattern cannot be used as a rule.",
  rule_tool_unknown: "There is no tool with that name.",
  rule_exists: "That rule is there already.",
  rule_not_found: "That rule is not there any more.",
  // The app itself.
  not_a_folder: "That is not a folder on this computer. Choose an existing project folder.",
  busy: "A run is still running. Wait for it to finish or cancel it, then try again.",
  open_failed: "That could not be opened.",
  ipc_failed: "Coder's window lost contact with the app. Restart Coder.",
  internal: "Something went wrong inside Coder.",
};

/** An error as the backend reports it; `code` may be newer than this build of the UI. */
export interface ReportedError {
  readonly code: string;
  readonly message: string;
}

/** True when this build has words for `code`. */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(WORDS, code);
}

/** A sentence for the person, for any error the backend reports. */
export function describe(error: ReportedError): string {
  return isErrorCode(error.code) ? WORDS[error.code] : error.message;
}

/** Every code this table has words for: all of `ErrorCode`. */
export const KNOWN_CODES = Object.keys(WORDS) as ErrorCode[];
