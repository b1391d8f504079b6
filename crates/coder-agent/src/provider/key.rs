//! API keys looked up before each request, so a key saved in (or deleted from) the keyring, or
//! exported into the environment, takes effect at the next model call without rebuilding the
//! provider.
//!
//! A lookup may block (the keyring is reached over D-Bus on Linux), so it runs on tokio's
//! blocking pool, never on a runtime thread. A key found this way is checked against the base
//! URL like a fixed one: it goes over plain `http://` only to a loopback host unless the person
//! allowed it.

use std::fmt;
use std::sync::Arc;

use crate::keys::KeyError;

/// Finds the API key for a request: `Ok(None)` when none is set.
pub type KeyLookupFn = dyn Fn() -> Result<Option<String>, KeyError> + Send + Sync;

/// A shared key lookup, e.g. `keys::resolve` for one provider. `Debug` shows no key.
#[derive(Clone)]
pub struct KeyLookup(Arc<KeyLookupFn>);

impl KeyLookup {
    pub fn new(lookup: impl Fn() -> Result<Option<String>, KeyError> + Send + Sync + 'static) -> Self {
        Self(Arc::new(lookup))
    }

    /// The key now, found on the blocking pool. A panic in the lookup is passed on; a lookup
    /// cancelled because the runtime is shutting down finds no key (no request follows).
    pub(crate) async fn current(&self) -> Result<Option<String>, KeyError> {
        let lookup = Arc::clone(&self.0);
        match tokio::task::spawn_blocking(move || lookup()).await {
            Ok(found) => found,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Ok(None),
        }
    }
}

impl fmt::Debug for KeyLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyLookup")
    }
}
