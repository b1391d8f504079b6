//! API keys in the operating system's keyring: Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows.
//!
//! A desktop app started from a menu has no `OPENAI_API_KEY` in its environment, so a key can be
//! saved in the keyring instead (service `coder`, user the provider's name: `openai`,
//! `anthropic`). Where a key comes from, in order:
//! 1. the provider's environment variable, when set and not blank — it always wins;
//! 2. the keyring entry.
//!
//! Invariants:
//! - A key is read when it is needed (before each model call), never cached, so a key set or
//!   deleted takes effect at the next call.
//! - A key from the keyring is never written anywhere by Coder: not to `settings.json`, the
//!   event log, an export, a log line or error message, nor a child process's environment
//!   (it is never put in this process's environment either).
//! - Where no keyring is reachable, that is reported (`KeyError::Unavailable`) with the
//!   environment variable to use instead; there is no fallback to a plain file.
//!
//! Every function here blocks: on Linux the Secret Service client runs its own small async
//! runtime, which panics when entered from a thread that already drives a tokio runtime. Async
//! code calls these through `tokio::task::spawn_blocking` (as the providers do).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// The keyring service name all of Coder's keys are saved under.
pub const SERVICE: &str = "coder";

/// The longest key accepted, in characters. Real keys are a few hundred at most; the bound
/// keeps a pasted file out of the keyring and out of request headers.
pub const MAX_KEY_CHARS: usize = 4096;

/// The keyring on this platform, as error messages name it.
#[cfg(target_os = "linux")]
const PLATFORM_STORE: &str = "Secret Service";
#[cfg(target_os = "macos")]
const PLATFORM_STORE: &str = "Keychain";
#[cfg(target_os = "windows")]
const PLATFORM_STORE: &str = "Credential Manager";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
const PLATFORM_STORE: &str = "system keyring";

/// A provider that needs an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KeyedProvider {
    Openai,
    Anthropic,
}

impl KeyedProvider {
    /// Every provider with a key, in the order `coder key status` lists them.
    pub const ALL: [KeyedProvider; 2] = [KeyedProvider::Openai, KeyedProvider::Anthropic];

    /// The name on the command line and the keyring entry's user name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    /// The environment variable that holds this provider's key and wins over the keyring.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Openai => "OPENAI_API_KEY",
            Self::Anthropic => "ANTHROPIC_API_KEY",
        }
    }
}

impl fmt::Display for KeyedProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyedProvider {
    type Err = KeyError;

    fn from_str(name: &str) -> Result<Self, KeyError> {
        Self::ALL
            .into_iter()
            .find(|provider| provider.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| KeyError::UnknownProvider { name: name.to_owned() })
    }
}

/// Reading, saving or deleting a key failed. No message ever contains a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No keyring service answers (on Linux: no Secret Service on the session bus, or no
    /// session bus at all).
    #[error("no keyring service is running ({PLATFORM_STORE}): {reason}; set {variable} instead")]
    Unavailable { variable: &'static str, reason: String },
    /// The keyring answered but refused access, typically because it is locked.
    #[error("the keyring refused access (is it locked?): {reason}; unlock it, or set {variable} instead")]
    Refused { variable: &'static str, reason: String },
    /// The key given to `set` cannot be a key; `reason` says why without repeating it.
    #[error("not a valid API key: {reason}")]
    Invalid { reason: String },
    /// The keyring holds something for this provider that is not a usable key.
    #[error(
        "the keyring entry for {provider} is not a usable key; replace it with `coder key set {provider}`"
    )]
    Unusable { provider: KeyedProvider },
    #[error("unknown provider {name:?}: use openai or anthropic")]
    UnknownProvider { name: String },
}

impl KeyError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unavailable { .. } => "keyring_unavailable",
            Self::Refused { .. } => "keyring_refused",
            Self::Invalid { .. } => "key_invalid",
            Self::Unusable { .. } => "key_unusable",
            Self::UnknownProvider { .. } => "provider_unknown",
        }
    }

    /// Whether the keyring itself could not be used (as opposed to a bad key or name).
    pub fn is_keyring_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Refused { .. })
    }

    fn from_keyring(provider: KeyedProvider, error: keyring::Error) -> Self {
        let variable = provider.variable();
        match error {
            keyring::Error::NoStorageAccess(reason) => Self::Refused { variable, reason: reason.to_string() },
            // `BadEncoding` carries the stored bytes, which are never shown.
            keyring::Error::BadEncoding(_) | keyring::Error::Ambiguous(_) => Self::Unusable { provider },
            keyring::Error::TooLong(..) | keyring::Error::Invalid(..) => {
                Self::Invalid { reason: error.to_string() }
            }
            // `PlatformFailure` (no bus, no Secret Service) and variants added later.
            other => Self::Unavailable { variable, reason: platform_reason(&other) },
        }
    }
}

/// The innermost useful text of a keyring error: its source when there is one, which names the
/// actual fault ("No such file or directory") rather than the wrapper.
fn platform_reason(error: &keyring::Error) -> String {
    match error {
        keyring::Error::PlatformFailure(inner) => inner.to_string(),
        other => other.to_string(),
    }
}

/// Where a provider's key comes from now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum KeySource {
    /// The environment variable is set; it wins over the keyring.
    Environment,
    Keyring,
    Missing,
}

/// What the keyring holds for a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum KeyringState {
    Holds,
    Empty,
    /// The keyring cannot be used; the text is the whole error message, naming the variable to
    /// set instead.
    Unavailable(String),
}

/// A provider's key, as `coder key status` and Settings show it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct KeyStatus {
    pub provider: KeyedProvider,
    pub variable: &'static str,
    pub source: KeySource,
    pub keyring: KeyringState,
}

/// Where `provider`'s key would come from at the next model call, and what the keyring holds.
/// The keyring is asked even when the environment wins, so that both can be shown.
pub fn status(provider: KeyedProvider) -> KeyStatus {
    let keyring = match read_keyring(provider) {
        Ok(Some(_)) => KeyringState::Holds,
        Ok(None) => KeyringState::Empty,
        Err(error) => KeyringState::Unavailable(error.to_string()),
    };
    let source = if from_environment(provider).is_some() {
        KeySource::Environment
    } else if keyring == KeyringState::Holds {
        KeySource::Keyring
    } else {
        KeySource::Missing
    };
    KeyStatus { provider, variable: provider.variable(), source, keyring }
}

/// Saves `key` (trimmed) as `provider`'s key in the keyring, replacing any earlier one.
pub fn set(provider: KeyedProvider, key: &str) -> Result<(), KeyError> {
    let key = validate(key)?;
    entry(provider)?.set_password(key).map_err(|e| KeyError::from_keyring(provider, e))
}

/// Deletes `provider`'s key from the keyring; `false` when there was none.
pub fn delete(provider: KeyedProvider) -> Result<bool, KeyError> {
    match entry(provider)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(error) => Err(KeyError::from_keyring(provider, error)),
    }
}

/// `provider`'s key for a model call: the environment variable when set, else the keyring's.
/// `Ok(None)` when neither holds one; an error when the environment has none and the keyring
/// cannot be read, so the caller can say why.
pub fn resolve(provider: KeyedProvider) -> Result<Option<String>, KeyError> {
    match from_environment(provider) {
        Some(key) => Ok(Some(key)),
        None => read_keyring(provider),
    }
}

/// The environment variable's value, trimmed, when it is set and not blank.
fn from_environment(provider: KeyedProvider) -> Option<String> {
    std::env::var(provider.variable()).ok().map(|key| key.trim().to_owned()).filter(|key| !key.is_empty())
}

fn read_keyring(provider: KeyedProvider) -> Result<Option<String>, KeyError> {
    match entry(provider)?.get_password() {
        // A stored key is validated again: another program may have written the entry.
        Ok(key) => {
            validate(&key).map(|key| Some(key.to_owned())).map_err(|_| KeyError::Unusable { provider })
        }
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(error) => Err(KeyError::from_keyring(provider, error)),
    }
}

fn entry(provider: KeyedProvider) -> Result<keyring::Entry, KeyError> {
    keyring::Entry::new(SERVICE, provider.name()).map_err(|e| KeyError::from_keyring(provider, e))
}

/// `key` without surrounding white space, when it can be a key: not empty, at most
/// `MAX_KEY_CHARS`, and only visible ASCII (so it is a valid HTTP header value and cannot hold a
/// line break or control character). Errors never repeat the key.
pub fn validate(key: &str) -> Result<&str, KeyError> {
    let key = key.trim();
    let invalid = |reason: &str| Err(KeyError::Invalid { reason: reason.to_owned() });
    if key.is_empty() {
        return invalid("it is empty");
    }
    if key.chars().count() > MAX_KEY_CHARS {
        return invalid(&format!("it is longer than {MAX_KEY_CHARS} characters"));
    }
    if !key.chars().all(|c| c.is_ascii_graphic()) {
        return invalid("it has spaces, control characters or characters outside ASCII");
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_trimmed_and_checked() {
        assert_eq!(validate("  sk-abc123\n").unwrap(), "sk-abc123", "a pasted line's white space is dropped");
        for bad in ["", "   \n", "sk-a\u{7}b", "sk a", "sk-é", &"k".repeat(MAX_KEY_CHARS + 1)] {
            let error = validate(bad).expect_err("not a key");
            assert_eq!(error.code(), "key_invalid");
            if !bad.trim().is_empty() {
                assert!(
                    !error.to_string().contains(bad.trim()),
                    "the message never repeats the key: {error}"
                );
            }
        }
        assert!(validate(&"k".repeat(MAX_KEY_CHARS)).is_ok(), "the bound itself is allowed");
    }

    #[test]
    fn provider_names_parse_as_the_command_line_writes_them() {
        assert_eq!("openai".parse::<KeyedProvider>().unwrap(), KeyedProvider::Openai);
        assert_eq!("Anthropic".parse::<KeyedProvider>().unwrap(), KeyedProvider::Anthropic);
        let error = "demo".parse::<KeyedProvider>().unwrap_err();
        assert_eq!(error.code(), "provider_unknown", "the demo has no key");
    }

    #[test]
    fn an_unreachable_keyring_names_the_variable_to_set() {
        let error = KeyError::from_keyring(
            KeyedProvider::Openai,
            keyring::Error::PlatformFailure("no session bus".into()),
        );
        assert!(error.is_keyring_unavailable());
        let text = error.to_string();
        assert!(text.starts_with("no keyring service is running"), "{text}");
        assert!(text.contains("set OPENAI_API_KEY instead"), "the way out is named: {text}");
    }

    #[test]
    fn stored_bytes_that_are_not_text_are_never_shown() {
        let error = KeyError::from_keyring(
            KeyedProvider::Anthropic,
            keyring::Error::BadEncoding(b"sk-\xff-secret".to_vec()),
        );
        assert_eq!(error, KeyError::Unusable { provider: KeyedProvider::Anthropic });
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
