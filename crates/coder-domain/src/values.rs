//! Value types carried by events: roles, statuses, tool output, cost, step and artifact kinds,
//! project changes and file changes.
//!
//! These shapes are stored in the event log forever. Fields may be added only with
//! `#[serde(default)]`; anything else needs an upcaster (see `EventEnvelope::schema_version`).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::ToolUseId;

/// Who wrote a message.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Role {
    User,
    Assistant,
    System,
}

/// Lifecycle of a tool use: `Pending → Running → Success | Failed`, or `Cancelled` from any
/// non-final state. `Pending` covers a tool use whose step waits for a person's approval.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ToolStatus {
    Pending,
    Running,
    Success,
    Failed,
    Cancelled,
}

impl ToolStatus {
    /// True once the tool use can change no more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::Cancelled)
    }
}

/// What a tool produced.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", content = "value")]
pub enum ToolOutput {
    Text(String),
    Json(serde_json::Value),
    /// Base64 text in JSON (see `crate::bytes`).
    Binary(
        #[serde(with = "crate::bytes")]
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        Vec<u8>,
    ),
    File {
        path: String,
        mime_type: String,
    },
    Empty,
}

/// Lifecycle of a run: `Queued → Running ⇄ WaitingForApproval → Success | Failed | Cancelled`.
/// A run is `Queued` from `RunStarted` until its first step starts.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum RunStatus {
    Queued,
    Running,
    WaitingForApproval,
    Success,
    Failed,
    Cancelled,
}

impl RunStatus {
    /// True once the run can change no more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::Cancelled)
    }
}

/// Lifecycle of a step: `Pending → Running → Success | Failed`; `Pending | Running → Skipped`
/// (rejected or cancelled). A step that needs approval stays `Pending` until it is decided.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StepStatus {
    Pending,
    Running,
    Success,
    Failed,
    Skipped,
}

impl StepStatus {
    /// True once the step can change no more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Success | Self::Failed | Self::Skipped)
    }
}

/// Tokens and money spent. `usd_cents` is whole cents, as in the seed model; sums saturate.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Cost {
    pub input_tokens: u32,
    pub output_tokens: u32,
    pub total_tokens: u32,
    pub usd_cents: u32,
}

impl Cost {
    /// The sum of two costs, saturating instead of overflowing.
    pub fn plus(self, other: Cost) -> Cost {
        Cost {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            total_tokens: self.total_tokens.saturating_add(other.total_tokens),
            usd_cents: self.usd_cents.saturating_add(other.usd_cents),
        }
    }
}

/// What a step does.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum StepType {
    /// A call to the model, which streams one assistant message.
    ModelCall,
    /// One tool call requested by the model; the tool use carries the input.
    ToolCall { tool_use_id: ToolUseId, tool_name: String, gate: ApprovalGate },
}

impl StepType {
    /// True when the step must wait for a decision before it may run.
    pub fn needs_approval(&self) -> bool {
        matches!(self, Self::ToolCall { gate: ApprovalGate::NeedsApproval, .. })
    }
}

/// Whether a tool call may run at once.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum ApprovalGate {
    /// The step waits (and its run is `WaitingForApproval`) until a person decides.
    NeedsApproval,
    /// A policy allowed it up front; `policy` names the rule, e.g. `read-only tool`.
    PreApproved { policy: String },
}

/// A decision on a step that waited for approval.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApprovalDecision {
    pub verdict: Verdict,
    pub by: Approver,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Verdict {
    Approved,
    Rejected,
}

/// Who decided: a person at the keyboard, or a named policy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum Approver {
    Person,
    Policy { rule: String },
}

/// How a step ended.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum StepResult {
    Success,
    Failed { error: String },
    Cancelled,
}

impl StepResult {
    /// The step status this result leaves the step in.
    pub fn status(&self) -> StepStatus {
        match self {
            Self::Success => StepStatus::Success,
            Self::Failed { .. } => StepStatus::Failed,
            Self::Cancelled => StepStatus::Skipped,
        }
    }
}

/// What an artifact's bytes are.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum ArtifactType {
    Text,
    Markdown,
    Json,
    Diff,
    Image { mime_type: String },
    Binary { mime_type: String },
}

/// Per-tool approval policy of a project.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ToolApproval {
    /// Ask the person each time (the default for tools that write or run commands).
    Ask,
    /// Never ask for this tool in this project.
    AlwaysAllow,
}

/// What a permission rule does to a tool call it matches. Precedence: `Deny` over `Ask` over
/// `Allow`, wherever the rules come from.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RuleEffect {
    /// Run without asking.
    Allow,
    /// Wait for the person, even for a tool that would run at once.
    Ask,
    /// Refuse at once; the model is told which rule refused it.
    Deny,
}

impl RuleEffect {
    /// The word a person types and reads: `allow`, `ask` or `deny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Ask => "ask",
            Self::Deny => "deny",
        }
    }
}

impl fmt::Display for RuleEffect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A permission rule as stored: in a project's log (`ProjectChanges::rules`) or in the global
/// settings. `tool` is a tool's name or `*` for every tool; `pattern` is matched against what the
/// tool acts on — a command line for `run_command`, a path for the file tools — in the language
/// `coder_agent::rules` defines. The domain checks only its shape (see `decide`); the agent
/// refuses a pattern it cannot parse before one is ever stored, and never lets one it cannot
/// parse allow anything.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PermissionRule {
    pub effect: RuleEffect,
    pub tool: String,
    pub pattern: String,
}

/// The fields a `ProjectUpdated` changes; absent fields stay as they were.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Tool name → policy, merged into the project's policy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tool_approvals: BTreeMap<String, ToolApproval>,
    /// The project's permission rules, in order; when set, the whole list replaces the one the
    /// project had (an empty list removes them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<PermissionRule>>,
}

impl ProjectChanges {
    /// True when applying these changes would change nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.path.is_none() && self.tool_approvals.is_empty() && self.rules.is_none()
    }
}

/// BLAKE3 hash of a file's content: the key of its bytes in the blob table. In JSON, 64
/// lower-case hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(*blake3::hash(bytes).as_bytes())
    }

    /// Lower-case hex, 64 characters.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex characters.
    pub fn from_hex(s: &str) -> Option<Self> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Self(out))
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.to_hex())
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&self.to_hex())
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

impl<'de> Deserialize<'de> for ContentHash {
    /// Accepts hex text or 32 raw bytes in any format: serde's buffering of internally tagged
    /// enums does not always pass on whether the format is human-readable.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct HashVisitor;

        impl<'de> serde::de::Visitor<'de> for HashVisitor {
            type Value = ContentHash;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 hex characters or 32 bytes")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ContentHash, E> {
                ContentHash::from_hex(v).ok_or_else(|| E::custom("expected 64 hex characters"))
            }

            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<ContentHash, E> {
                let arr: [u8; 32] = v.try_into().map_err(|_| E::custom("expected 32 bytes"))?;
                Ok(ContentHash(arr))
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ContentHash, A::Error> {
                let mut arr = [0u8; 32];
                for byte in &mut arr {
                    *byte =
                        seq.next_element()?.ok_or_else(|| serde::de::Error::custom("expected 32 bytes"))?;
                }
                Ok(ContentHash(arr))
            }
        }

        if d.is_human_readable() {
            d.deserialize_any(HashVisitor)
        } else {
            d.deserialize_bytes(HashVisitor)
        }
    }
}

/// What happened to a file, with the content hash before and after so that every change can be
/// shown as a diff and reverted. Contents live in the blob table, never in the event.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum FileChangeType {
    Created { after: ContentHash },
    Modified { before: ContentHash, after: ContentHash },
    Deleted { before: ContentHash },
}

impl FileChangeType {
    /// The content before the change; `None` when the file did not exist.
    pub fn before(&self) -> Option<ContentHash> {
        match *self {
            Self::Created { .. } => None,
            Self::Modified { before, .. } | Self::Deleted { before } => Some(before),
        }
    }

    /// The content after the change; `None` when the file no longer exists.
    pub fn after(&self) -> Option<ContentHash> {
        match *self {
            Self::Created { after } | Self::Modified { after, .. } => Some(after),
            Self::Deleted { .. } => None,
        }
    }

    /// The change that undoes this one.
    pub fn inverse(&self) -> FileChangeType {
        match *self {
            Self::Created { after } => Self::Deleted { before: after },
            Self::Modified { before, after } => Self::Modified { before: after, after: before },
            Self::Deleted { before } => Self::Created { after: before },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_hash_hex_round_trip() {
        let h = ContentHash::of(b"hello");
        assert_eq!(ContentHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(ContentHash::from_hex("zz"), None);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<ContentHash>(&json).unwrap(), h);
    }

    #[test]
    fn binary_output_is_base64_in_json() {
        let out = ToolOutput::Binary(vec![0, 1, 2, 255]);
        let json = serde_json::to_string(&out).unwrap();
        assert_eq!(json, r#"{"kind":"Binary","value":"AAEC/w=="}"#);
        assert_eq!(serde_json::from_str::<ToolOutput>(&json).unwrap(), out);
    }

    #[test]
    fn inverse_of_inverse_is_identity() {
        let a = ContentHash::of(b"a");
        let b = ContentHash::of(b"b");
        for c in [
            FileChangeType::Created { after: a },
            FileChangeType::Modified { before: a, after: b },
            FileChangeType::Deleted { before: b },
        ] {
            assert_eq!(c.inverse().inverse(), c);
            assert_eq!(c.inverse().before(), c.after());
        }
    }
}

/// Something a person attached to a message, recorded with it (`MessageAttached`), so the
/// conversation sent to the model can be rebuilt from the log alone.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum Attachment {
    /// A project file's text as it was when the message was sent, cut at
    /// `limits::ATTACHED_FILE_BYTES` (then `truncated`).
    File { path: String, content: String, truncated: bool },
    /// An image; its bytes are in the blob table under `blob`.
    Image { blob: ContentHash, mime_type: String, bytes: u64, name: String },
}

/// The image types a message may carry: what both providers accept.
pub const IMAGE_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];

/// What made a thread's older part be summarized.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind")]
pub enum CompactionTrigger {
    /// The next model call would have passed `threshold_percent` of the model's
    /// `window_tokens`-token context window.
    Automatic { window_tokens: u64, threshold_percent: u8 },
    /// A person chose "Summarize up to here".
    Manual,
}
