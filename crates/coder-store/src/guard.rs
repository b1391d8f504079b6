//! redb trusts the pages it reads: on a damaged file, some reads panic inside redb (an invalid
//! page type, a length past the page) instead of returning an error. The store runs every call
//! into redb that reads the file under `catch`, so that such a panic reaches the caller as an
//! error saying the file is damaged, never as a panic. Nothing of a caught call is used.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `f`; a panic inside it becomes `Err` with its message.
pub(crate) fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    // The closure's state is discarded on a panic, and the redb handle reports its own state
    // on the next call, so observing it afterwards is not a concern.
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        format!("the store file is damaged: reading it failed ({message})")
    })
}
