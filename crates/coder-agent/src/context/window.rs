//! How many tokens a model's context window holds: the person's setting when there is one,
//! else a default by model family.
//!
//! The defaults, from the providers' model pages (2025):
//! - OpenAI (platform.openai.com/docs/models): GPT-4.1 1,047,576; GPT-5 400,000; GPT-4o and
//!   GPT-4 Turbo 128,000; o1, o3 and o4-mini 200,000 (o1-mini and o1-preview 128,000); GPT-4
//!   8,192; GPT-3.5 Turbo 16,385.
//! - Anthropic (docs.anthropic.com, "Models overview"): every Claude model 200,000.
//! - Meta's model cards: Llama 3.1, 3.2 and 3.3 128K (131,072); Llama 3 8,192. Qwen 2.5 and
//!   Mistral 32,768; Gemma 3 128K.
//! - Ollama serves a model with a context far smaller than the model's own unless told
//!   otherwise: 4,096 tokens on a machine with less than 24 GiB of VRAM
//!   (docs.ollama.com/context-length; 2,048 before version 0.6), and its OpenAI-compatible API
//!   cannot raise it per request. A server on Ollama's port 11434 is taken to hold 4,096.
//! - Any other model: 8,192, small enough for most local servers; the setting raises it.
//!
//! The demo has no window: it answers from the request's last messages alone.

use crate::settings::{ProviderKind, Settings};

/// A model nobody has told Coder about.
pub const UNKNOWN_MODEL_WINDOW: u64 = 8_192;
/// What Ollama serves by default on a machine without a large GPU.
pub const OLLAMA_WINDOW: u64 = 4_096;
/// Ollama's default port.
const OLLAMA_PORT: &str = ":11434";

/// Windows by the start of the model's name, the more specific first.
const FAMILIES: &[(&str, u64)] = &[
    ("gpt-4.1", 1_047_576),
    ("gpt-5", 400_000),
    ("gpt-4o", 128_000),
    ("gpt-4-turbo", 128_000),
    ("gpt-4", 8_192),
    ("gpt-3.5", 16_385),
    ("o1-mini", 128_000),
    ("o1-preview", 128_000),
    ("o1", 200_000),
    ("o3", 200_000),
    ("o4", 200_000),
    ("claude", 200_000),
    ("llama3.1", 131_072),
    ("llama3.2", 131_072),
    ("llama3.3", 131_072),
    ("llama-3.1", 131_072),
    ("llama-3.2", 131_072),
    ("llama-3.3", 131_072),
    ("llama3", 8_192),
    ("llama-3", 8_192),
    ("qwen2.5", 32_768),
    ("mistral", 32_768),
    ("gemma3", 131_072),
];

/// Characters of one tool result sent to a model with a `window`-token context: a quarter of
/// the window at three characters a token (fewer than the estimate's 3.5, so it errs short), at
/// least 2,000 and at most what any model is sent (`conversation::RESULT_CHARS`). A 4,096-token
/// window gets 3,072 characters; 128k and more get the whole 32 KiB.
pub fn result_chars(window: u64) -> usize {
    let quarter = usize::try_from(window / 4 * 3).unwrap_or(usize::MAX);
    quarter.clamp(2_000, crate::conversation::RESULT_CHARS)
}

/// The range a window set in Settings is held to: below it Coder's own instructions and tools
/// do not fit; above it is no model offered today (the largest take a few million tokens), and a
/// mistyped figure must not overflow the arithmetic on it.
pub const SET_WINDOW: std::ops::RangeInclusive<u64> = 1_024..=20_000_000;

/// The window of the model the settings name; `None` for the demo, which needs none.
pub fn window_tokens(settings: &Settings) -> Option<u64> {
    if let Some(set) = settings.context_window_tokens.filter(|n| *n > 0) {
        return Some(set.clamp(*SET_WINDOW.start(), *SET_WINDOW.end()));
    }
    if settings.provider == ProviderKind::Demo {
        return None;
    }
    let family = family_window(&settings.model).unwrap_or(UNKNOWN_MODEL_WINDOW);
    let ollama = settings.provider == ProviderKind::Openai && settings.base_url.contains(OLLAMA_PORT);
    Some(if ollama { family.min(OLLAMA_WINDOW) } else { family })
}

/// The window of a model family known by name: the name without a router's `vendor/` prefix
/// or an Ollama `:tag`, in lower case, matched by its start.
pub fn family_window(model: &str) -> Option<u64> {
    let name = model.trim().to_ascii_lowercase();
    let name = name.rsplit('/').next().unwrap_or_default();
    let name = name.split(':').next().unwrap_or_default();
    FAMILIES.iter().find(|(prefix, _)| name.starts_with(prefix)).map(|(_, window)| *window)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_set_in_settings_is_held_to_a_sensible_range() {
        let set = |tokens| Settings { context_window_tokens: Some(tokens), ..Settings::default() };
        assert_eq!(window_tokens(&set(32_000)), Some(32_000));
        assert_eq!(window_tokens(&set(10)), Some(1_024));
        assert_eq!(window_tokens(&set(u64::MAX)), Some(20_000_000), "a mistyped figure cannot overflow");
    }

    #[test]
    fn a_tool_result_takes_a_quarter_of_a_small_window_and_at_most_32_kib() {
        assert_eq!(result_chars(OLLAMA_WINDOW), 3_072);
        assert_eq!(result_chars(UNKNOWN_MODEL_WINDOW), 6_144);
        assert_eq!(result_chars(1_000), 2_000, "never fewer than 2,000");
        assert_eq!(result_chars(200_000), crate::conversation::RESULT_CHARS);
        assert_eq!(result_chars(u64::MAX), crate::conversation::RESULT_CHARS);
    }

    #[test]
    fn families_are_matched_by_the_start_of_the_name() {
        assert_eq!(family_window("gpt-4o-mini"), Some(128_000));
        assert_eq!(family_window("gpt-4.1-nano"), Some(1_047_576));
        assert_eq!(family_window("gpt-4"), Some(8_192));
        assert_eq!(family_window("o1-mini"), Some(128_000));
        assert_eq!(family_window("o3-mini"), Some(200_000));
        assert_eq!(family_window("claude-sonnet-4-5"), Some(200_000));
        assert_eq!(family_window("openai/gpt-4o"), Some(128_000), "a router's vendor prefix is ignored");
        assert_eq!(family_window("llama3.2:3b"), Some(131_072), "an Ollama tag is ignored");
        assert_eq!(family_window("Llama3:8B"), Some(8_192));
        assert_eq!(family_window("my-own-model"), None);
    }

    #[test]
    fn the_setting_wins_then_ollama_then_the_family() {
        let mut settings = Settings::ollama("llama3.2");
        assert_eq!(window_tokens(&settings), Some(OLLAMA_WINDOW), "Ollama serves 4,096 whatever the model");
        settings.base_url = "https://api.example.com/v1".into();
        assert_eq!(window_tokens(&settings), Some(131_072));
        settings.model = "something-new".into();
        assert_eq!(window_tokens(&settings), Some(UNKNOWN_MODEL_WINDOW));
        settings.context_window_tokens = Some(32_000);
        assert_eq!(window_tokens(&settings), Some(32_000), "the person's setting wins");
        settings.context_window_tokens = Some(0);
        assert_eq!(window_tokens(&settings), Some(UNKNOWN_MODEL_WINDOW), "0 is no setting");
        assert_eq!(window_tokens(&Settings::default()), None, "the demo needs no window");
    }
}
