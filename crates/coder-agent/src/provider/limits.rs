//! How much a model server may send in one response.
//!
//! A server is not trusted to be sane: a broken proxy may send a line without end, or a model
//! may loop emitting tool calls. Every buffer a provider grows from the server's bytes has a
//! bound here, and going over it ends the response with `ProviderError::TooLarge` naming the
//! limit, instead of memory growing until the app dies. The bounds sit far above what a real
//! response needs: a model's streamed chunk is a few hundred bytes, and a tool call writing a
//! whole file is rarely beyond a few hundred kilobytes.

use super::ProviderError;

/// The longest SSE line accepted, in bytes.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;
/// The most `data` one SSE event may carry (all its `data:` lines together), in bytes.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;
/// The longest argument text of one tool call, in bytes.
pub const MAX_TOOL_ARGUMENT_BYTES: usize = 4 * 1024 * 1024;
/// The most argument text of all tool calls of one response together, in bytes.
pub const MAX_TOTAL_TOOL_ARGUMENT_BYTES: usize = 16 * 1024 * 1024;
/// The most tool calls one response may make.
pub const MAX_TOOL_CALLS: usize = 128;

/// `TooLarge` for `what` going over `limit` bytes.
pub(crate) fn too_many_bytes(what: &str, limit: usize) -> ProviderError {
    ProviderError::TooLarge(format!("{what} is longer than {} ({limit} bytes)", human(limit)))
}

/// `TooLarge` for a response with more than `MAX_TOOL_CALLS` tool calls.
pub(crate) fn too_many_calls() -> ProviderError {
    ProviderError::TooLarge(format!("the response makes more than {MAX_TOOL_CALLS} tool calls"))
}

/// Appends a fragment of a tool call's arguments to `arguments`, keeping both the per-call and
/// the per-response bound; `total` is the response's argument bytes so far.
pub(crate) fn push_arguments(
    arguments: &mut String,
    fragment: &str,
    total: &mut usize,
    call: &str,
) -> Result<(), ProviderError> {
    if arguments.len().saturating_add(fragment.len()) > MAX_TOOL_ARGUMENT_BYTES {
        return Err(too_many_bytes(&format!("the arguments of tool call `{call}`"), MAX_TOOL_ARGUMENT_BYTES));
    }
    *total = total.saturating_add(fragment.len());
    if *total > MAX_TOTAL_TOOL_ARGUMENT_BYTES {
        return Err(too_many_bytes(
            "the arguments of all tool calls together",
            MAX_TOTAL_TOOL_ARGUMENT_BYTES,
        ));
    }
    arguments.push_str(fragment);
    Ok(())
}

/// `bytes` in MiB when it is a whole number of them.
fn human(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
