//! The one error type that crosses the IPC boundary: a code from a closed set, which the UI maps
//! to words (`ui/src/shared/errors.ts`, typed by the generated `ErrorCode`), and the backend's own
//! message as a fallback and for the log.
//!
//! The inner errors name their codes as `&'static str` (`DomainError::code`, `DispatchError::code`,
//! …); `ErrorCode::from_code` turns one into this enum through its serde names, so a code keeps
//! its spelling from the crate that made it to the UI. A code missing here becomes `internal`;
//! the tests below make sure every inner code has its own variant.

use serde::de::value::StrDeserializer;
use serde::de::IntoDeserializer as _;
use serde::{Deserialize, Serialize};

/// Every code a command's error can carry. Codes are a public contract with the UI: never rename
/// one, only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Commands the domain refused (`DomainError::code`).
    EmptyMessage,
    TooLarge,
    InvalidInput,
    NotFound,
    AlreadyExists,
    ThreadArchived,
    IllegalTransition,
    StepNotAwaitingApproval,
    ApprovalAlreadyDecided,
    StaleFileChange,
    NothingToChange,
    // The store and the engine (`EngineError`, `DispatchError`, `QueryError`).
    StoreLocked,
    StoreUnavailable,
    StoreUnreadable,
    StoreReadOnly,
    StoreWriteFailed,
    /// The store's file is damaged: a checksum, an index or a blob no longer matches, or redb
    /// cannot read the file (`ReadError::Damaged` and its kin, `OpenError::Damaged`). Told apart
    /// from `store_unreadable` so the person learns the data file itself, not the disk or the
    /// app, is what failed.
    StoreDamaged,
    Conflict,
    EngineStopped,
    NoDataDir,
    RecoveryFailed,
    // The agent (`AgentError`).
    ProjectFolder,
    // Recorded file changes (`coder_agent::changes::ChangeError`).
    FileChangedSince,
    ContentMissing,
    FileIo,
    QueryFailed,
    /// A recorded change names a path outside its project (possible in an imported log).
    OutsideProject,
    // Settings (`SettingsError`) and the provider they set up (`ProviderError`).
    SettingsInvalid,
    SettingsInaccessible,
    ProviderRejected,
    ProviderTimeout,
    ProviderMalformed,
    ProviderDisconnected,
    ProviderUnreachable,
    ProviderNotConfigured,
    /// The provider's response went over one of the size limits Coder reads with.
    ProviderTooLarge,
    /// The API key would go over plain `http://` to another computer, and Settings do not allow it.
    ProviderInsecureHttp,
    /// The provider redirected to another address, where the API key must not follow.
    ProviderRedirected,
    /// The model refused a request because it carried an image it cannot read.
    ProviderImagesUnsupported,
    // API keys in the system keyring (`coder_agent::keys::KeyError`).
    /// No keyring service answers; the message names the environment variable to set instead.
    KeyringUnavailable,
    /// The keyring answered but refused access, typically because it is locked.
    KeyringRefused,
    /// The text given as an API key cannot be one (empty, too long, not visible ASCII).
    KeyInvalid,
    /// The keyring holds something for the provider that is not a usable key.
    KeyUnusable,
    /// A provider name that has no API key (only `openai` and `anthropic` do).
    ProviderUnknown,
    // Permission rules (`coder_agent::rules::RuleError`, `RuleEditError`).
    /// A rule was given without a pattern.
    RulePatternEmpty,
    /// A rule's pattern cannot be read: a bad glob, a chain, `!` on a command…
    RulePatternInvalid,
    /// A rule names a tool Coder does not have.
    RuleToolUnknown,
    /// The rule is there already.
    RuleExists,
    /// The rule to remove is not there.
    RuleNotFound,
    // The shell itself.
    /// Refused because something is still running. Nothing sends it since settings apply under
    /// a running run; kept because a code, once given, is never taken back.
    Busy,
    /// A file, folder or link could not be opened outside Coder.
    OpenFailed,
    /// A path given as a project folder is not a folder.
    NotAFolder,
    /// Set by the UI when the call itself failed (the backend never sends it).
    IpcFailed,
    /// A bug or an unforeseen failure; the message says what.
    Internal,
}

impl ErrorCode {
    /// The variant whose serde name is `code`; `Internal` for a code this enum does not know.
    pub fn from_code(code: &str) -> Self {
        let de: StrDeserializer<'_, serde::de::value::Error> = code.into_deserializer();
        Self::deserialize(de).unwrap_or(Self::Internal)
    }
}

/// What a failed command returns to the UI, serialized as `{ "code": "...", "message": "..." }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// An unforeseen failure, e.g. a background task that panicked.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::Internal, e.to_string())
    }

    fn coded(code: &str, e: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::from_code(code), e.to_string())
    }
}

impl From<coder_engine::EngineError> for IpcError {
    fn from(e: coder_engine::EngineError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_engine::DispatchError> for IpcError {
    fn from(e: coder_engine::DispatchError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_engine::QueryError> for IpcError {
    fn from(e: coder_engine::QueryError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_agent::AgentError> for IpcError {
    fn from(e: coder_agent::AgentError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_agent::projects::ProjectError> for IpcError {
    fn from(e: coder_agent::projects::ProjectError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_agent::rules::RuleEditError> for IpcError {
    fn from(e: coder_agent::rules::RuleEditError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_agent::changes::ChangeError> for IpcError {
    fn from(e: coder_agent::changes::ChangeError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_agent::SettingsError> for IpcError {
    fn from(e: coder_agent::SettingsError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_agent::KeyError> for IpcError {
    fn from(e: coder_agent::KeyError) -> Self {
        Self::coded(e.code(), e)
    }
}

impl From<coder_agent::provider::ProviderError> for IpcError {
    fn from(e: coder_agent::provider::ProviderError) -> Self {
        Self::new(provider_code(&e), e.to_string())
    }
}

/// `ProviderError` has no `code()` of its own; its variants map here.
fn provider_code(e: &coder_agent::provider::ProviderError) -> ErrorCode {
    use coder_agent::provider::ProviderError as P;
    match e {
        P::Http { .. } => ErrorCode::ProviderRejected,
        P::Timeout { .. } => ErrorCode::ProviderTimeout,
        P::Malformed(_) => ErrorCode::ProviderMalformed,
        P::Disconnected(_) => ErrorCode::ProviderDisconnected,
        P::Connect(_) => ErrorCode::ProviderUnreachable,
        P::Config(_) => ErrorCode::ProviderNotConfigured,
        P::TooLarge(_) => ErrorCode::ProviderTooLarge,
        P::InsecureHttp { .. } => ErrorCode::ProviderInsecureHttp,
        P::Redirected(_) => ErrorCode::ProviderRedirected,
        P::ImagesUnsupported { .. } => ErrorCode::ProviderImagesUnsupported,
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use coder_agent::changes::ChangeError;
    use coder_agent::provider::ProviderError;
    use coder_agent::rules::{RuleEditError, RuleError, Scope};
    use coder_agent::{AgentError, KeyError, KeyedProvider, SettingsError};
    use coder_domain::{ContentHash, DomainError, RunId, StreamId, ThreadId};
    use coder_engine::{DispatchError, EngineError, QueryError};
    use coder_store::{AppendError, DecodeError, OpenError, ReadError};

    use super::*;

    /// One value of every variant of every inner error that reaches a command, with its code.
    fn inner_codes() -> Vec<(String, &'static str)> {
        let mut codes: Vec<(String, &'static str)> =
            DomainError::CODES.iter().map(|c| (format!("DomainError code {c}"), *c)).collect();
        let mut add = |what: String, code: &'static str| codes.push((what, code));

        let stream = StreamId::Thread(ThreadId::new());
        let append = [
            AppendError::Conflict { stream, expected: "0".into(), actual: 1 },
            AppendError::ReadOnly("newer".into()),
            AppendError::DuplicateEvent(*RunId::new().as_uuid()),
            AppendError::Empty,
            AppendError::Encode("x".into()),
            AppendError::OutOfSequence { expected: 1, found: 2 },
            AppendError::StreamGap { stream, expected: 1, found: 2 },
            AppendError::NotEmpty(1),
            AppendError::Storage("x".into()),
            AppendError::Closed,
        ];
        let open = [
            OpenError::Locked { path: "/x".into() },
            OpenError::CreateDir { path: "/x".into(), source: std::io::ErrorKind::Other.into() },
            OpenError::Storage { path: "/x".into(), reason: "x".into() },
            OpenError::Damaged { path: "/x".into(), reason: "x".into() },
        ];

        for e in open {
            add(format!("{e:?}"), EngineError::Open(e).code());
        }
        for read in every_read_error() {
            add(format!("EngineError::Read({read:?})"), EngineError::Read(read.clone()).code());
            add(format!("QueryError::Read({read:?})"), QueryError::Read(read).code());
        }
        add("EngineError::NoDataDir".into(), EngineError::NoDataDir.code());
        add("EngineError::Recovery".into(), EngineError::Recovery("x".into()).code());
        add("EngineError::DataDir".into(), EngineError::DataDir("/x".into(), "x".into()).code());

        let dispatch: Vec<DispatchError> =
            [DispatchError::Domain(DomainError::EmptyMessage), DispatchError::Stopped]
                .into_iter()
                .chain(append.into_iter().map(DispatchError::Append))
                .collect();
        for e in &dispatch {
            add(format!("{e:?}"), e.code());
        }
        for e in [QueryError::NotFound { kind: "run", id: "x".into() }, QueryError::Snapshot("x".into())] {
            add(format!("{e:?}"), e.code());
        }
        for e in [
            AgentError::Dispatch(DispatchError::Stopped),
            AgentError::UnknownRun(RunId::new()),
            AgentError::ProjectFolder("/x".into(), "x".into()),
        ] {
            add(format!("{e:?}"), e.code());
        }
        for e in [
            ChangeError::NotFound(1),
            ChangeError::ChangedSince { path: "a".into() },
            ChangeError::MissingContent("a".into()),
            ChangeError::Io { path: "a".into(), reason: "x".into() },
            ChangeError::Dispatch(DispatchError::Stopped),
            ChangeError::Query("x".into()),
            ChangeError::OutsideProject { path: "../x".into() },
        ] {
            add(format!("{e:?}"), e.code());
        }
        for e in [
            SettingsError::Invalid { path: "a".into(), reason: "x".into() },
            SettingsError::Io { path: "a".into(), source: std::io::ErrorKind::Other.into() },
        ] {
            add(format!("{e:?}"), e.code());
        }
        for e in [
            RuleError::EmptyPattern,
            RuleError::BadPattern { pattern: "x".into(), reason: "x".into() },
            RuleError::TooLong,
            RuleError::UnknownTool { name: "x".into(), known: "y".into() },
        ] {
            add(format!("{e:?}"), e.code());
        }
        let rule = coder_domain::PermissionRule {
            effect: coder_domain::RuleEffect::Allow,
            tool: "run_command".into(),
            pattern: "ls".into(),
        };
        for e in [
            RuleEditError::Exists { scope: Scope::Project, rule: rule.clone() },
            RuleEditError::Missing { scope: Scope::Global, rule },
            RuleEditError::TooMany { scope: Scope::Project },
            RuleEditError::NoProject("x".into()),
        ] {
            add(format!("{e:?}"), e.code());
        }
        for e in [
            KeyError::Unavailable { variable: "OPENAI_API_KEY", reason: "x".into() },
            KeyError::Refused { variable: "OPENAI_API_KEY", reason: "x".into() },
            KeyError::Invalid { reason: "x".into() },
            KeyError::Unusable { provider: KeyedProvider::Openai },
            KeyError::UnknownProvider { name: "x".into() },
        ] {
            add(format!("{e:?}"), e.code());
        }
        codes
    }

    /// One value of every `ReadError` variant.
    fn every_read_error() -> Vec<ReadError> {
        let mut reads = vec![
            ReadError::Decode { sequence: 1, source: DecodeError::Truncated },
            ReadError::Storage("x".into()),
        ];
        reads.extend(damaged_reads());
        reads
    }

    /// The read errors that mean the store's file is damaged.
    fn damaged_reads() -> Vec<ReadError> {
        vec![
            ReadError::Damaged { sequence: 1 },
            ReadError::ChecksumMissing { sequence: 1 },
            ReadError::IndexDamaged { index: "stream", sequence: 1 },
            ReadError::BlobDamaged { hash: ContentHash::of(b"x") },
            ReadError::Unreadable("x".into()),
        ]
    }

    #[test]
    fn every_inner_code_has_its_own_variant() {
        for (what, code) in inner_codes() {
            let mapped = ErrorCode::from_code(code);
            assert_ne!(mapped, ErrorCode::Internal, "{what} has code {code:?}, which ErrorCode lacks");
            assert_eq!(
                serde_json::to_value(mapped).unwrap(),
                code,
                "the UI must receive the code {what} was given"
            );
        }
    }

    #[test]
    fn every_provider_error_has_its_own_variant() {
        for e in [
            ProviderError::Http { status: 500, message: "x".into() },
            ProviderError::Timeout { seconds: 1 },
            ProviderError::Malformed("x".into()),
            ProviderError::Disconnected("x".into()),
            ProviderError::Connect("x".into()),
            ProviderError::Config("x".into()),
            ProviderError::TooLarge("x".into()),
            ProviderError::InsecureHttp { host: "example.com".into() },
            ProviderError::Redirected("x".into()),
            ProviderError::ImagesUnsupported { detail: "no vision".into() },
        ] {
            assert_ne!(provider_code(&e), ErrorCode::Internal, "{e:?} needs a code of its own");
        }
    }

    #[test]
    fn key_safety_refusals_are_told_apart_from_other_provider_faults() {
        // The person acts differently on each: switch to https or allow http in Settings; fix
        // the address the provider redirects from; nothing to fix for an oversized answer.
        let cases = [
            (ProviderError::InsecureHttp { host: "example.com".into() }, ErrorCode::ProviderInsecureHttp),
            (ProviderError::Redirected("x".into()), ErrorCode::ProviderRedirected),
            (ProviderError::TooLarge("x".into()), ErrorCode::ProviderTooLarge),
        ];
        for (e, code) in cases {
            assert_eq!(IpcError::from(e).code, code, "each refusal has words of its own in the UI");
        }
    }

    #[test]
    fn a_damaged_store_is_store_damaged_however_it_arrives() {
        for read in damaged_reads() {
            assert_eq!(
                IpcError::from(EngineError::Read(read.clone())).code,
                ErrorCode::StoreDamaged,
                "{read:?} at start-up means the data file is damaged"
            );
            assert_eq!(
                IpcError::from(QueryError::Read(read.clone())).code,
                ErrorCode::StoreDamaged,
                "{read:?} in a query means the data file is damaged"
            );
        }
        let open = OpenError::Damaged { path: "/x".into(), reason: "x".into() };
        assert_eq!(
            IpcError::from(EngineError::Open(open)).code,
            ErrorCode::StoreDamaged,
            "a store that cannot be opened at all because it is damaged"
        );
    }

    #[test]
    fn other_store_failures_are_not_called_damage() {
        let storage = ReadError::Storage("x".into());
        assert_eq!(
            IpcError::from(QueryError::Read(storage.clone())).code,
            ErrorCode::StoreUnreadable,
            "a passing storage failure is not damage"
        );
        assert_eq!(IpcError::from(EngineError::Read(storage)).code, ErrorCode::StoreUnreadable);
        let locked = OpenError::Locked { path: "/x".into() };
        assert_eq!(IpcError::from(EngineError::Open(locked)).code, ErrorCode::StoreLocked);
    }

    #[test]
    fn the_insecure_http_message_says_how_to_fix_it() {
        let e = IpcError::from(ProviderError::InsecureHttp { host: "example.com".into() });
        assert!(
            e.message.contains("https") && e.message.contains("Settings"),
            "the fallback message must name both ways out: {}",
            e.message
        );
    }

    #[test]
    fn an_unknown_code_is_internal() {
        assert_eq!(ErrorCode::from_code("no_such_code"), ErrorCode::Internal);
        assert_eq!(ErrorCode::from_code(""), ErrorCode::Internal);
    }

    #[test]
    fn serializes_as_code_and_message() {
        let e = IpcError::from(DispatchError::Domain(DomainError::ApprovalAlreadyDecided {
            step: "s".into(),
            verdict: "approved",
        }));
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({ "code": "approval_already_decided", "message": "step s was already approved" }),
            "the UI reads exactly these two fields"
        );
    }
}
