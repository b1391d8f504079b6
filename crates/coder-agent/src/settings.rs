//! Agent settings: which provider, where, which model, and what it costs. They live in
//! `settings.json` in the data directory, never in the event log; API keys are not stored here
//! at all (they come from the environment or the OS keyring).

use std::path::Path;

use coder_domain::Cost;
use serde::{Deserialize, Serialize};

use crate::provider::Usage;

/// Reading or writing `settings.json` failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("{path} is not valid settings: {reason}")]
    Invalid { path: String, reason: String },
    #[error("cannot access {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl SettingsError {
    /// The stable machine code of this error, for the IPC boundary.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "settings_invalid",
            Self::Io { .. } => "settings_inaccessible",
        }
    }
}

/// The settings file's name inside the data directory.
pub const SETTINGS_FILE: &str = "settings.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Any OpenAI-compatible server: Ollama, llama.cpp, LM Studio, vLLM, OpenAI, OpenRouter.
    Openai,
    Anthropic,
    /// The scripted offline demo.
    Demo,
}

/// Prices in US dollars per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Prices {
    pub input_per_million: f64,
    pub output_per_million: f64,
}

impl Prices {
    /// What `usage` costs, in whole cents (rounded to nearest).
    pub fn cost(&self, usage: Usage) -> Cost {
        let dollars = f64::from(usage.input_tokens) * self.input_per_million / 1e6
            + f64::from(usage.output_tokens) * self.output_per_million / 1e6;
        Cost {
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            total_tokens: usage.input_tokens.saturating_add(usage.output_tokens),
            usd_cents: (dollars * 100.0).round().clamp(0.0, f64::from(u32::MAX)) as u32,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Settings {
    pub provider: ProviderKind,
    pub base_url: String,
    pub model: String,
    #[serde(default)]
    pub prices: Prices,
    /// Model calls per run at most, so a confused model cannot loop forever.
    #[serde(default = "default_max_turns")]
    pub max_turns: u32,
}

fn default_max_turns() -> u32 {
    25
}

impl Default for Settings {
    /// The offline demo: works with nothing installed.
    fn default() -> Self {
        Self {
            provider: ProviderKind::Demo,
            base_url: String::new(),
            model: "demo".into(),
            prices: Prices::default(),
            max_turns: default_max_turns(),
        }
    }
}

impl Settings {
    /// Ollama at its default local address.
    pub fn ollama(model: &str) -> Self {
        Self {
            provider: ProviderKind::Openai,
            base_url: "http://localhost:11434/v1".into(),
            model: model.into(),
            prices: Prices::default(),
            max_turns: default_max_turns(),
        }
    }

    /// Reads `settings.json` from the data directory; the defaults when it is missing.
    pub fn load(data_dir: &Path) -> Result<Self, SettingsError> {
        let path = data_dir.join(SETTINGS_FILE);
        let shown = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| SettingsError::Invalid { path: shown, reason: e.to_string() }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(SettingsError::Io { path: shown, source }),
        }
    }

    /// Writes `settings.json` atomically (write a temporary file, then rename).
    pub fn save(&self, data_dir: &Path) -> Result<(), SettingsError> {
        let path = data_dir.join(SETTINGS_FILE);
        let io = |source| SettingsError::Io { path: path.display().to_string(), source };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("settings always serialize");
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// The environment variable holding this provider's API key.
    pub fn key_variable(&self) -> Option<&'static str> {
        match self.provider {
            ProviderKind::Openai => Some("OPENAI_API_KEY"),
            ProviderKind::Anthropic => Some("ANTHROPIC_API_KEY"),
            ProviderKind::Demo => None,
        }
    }
}

/// The provider these settings describe, with its API key from the environment.
pub fn provider(
    settings: &Settings,
) -> Result<std::sync::Arc<dyn crate::provider::Provider>, crate::provider::ProviderError> {
    use crate::provider::{
        AnthropicConfig, AnthropicProvider, OpenAiConfig, OpenAiProvider, ProviderError, ScriptedProvider,
    };
    let key =
        settings.key_variable().and_then(|var| std::env::var(var).ok()).filter(|k| !k.trim().is_empty());
    Ok(match settings.provider {
        ProviderKind::Demo => std::sync::Arc::new(ScriptedProvider::demo()),
        ProviderKind::Openai => {
            let mut config = OpenAiConfig::new(&settings.base_url, &settings.model);
            config.api_key = key;
            std::sync::Arc::new(OpenAiProvider::new(config)?)
        }
        ProviderKind::Anthropic => {
            let key =
                key.ok_or_else(|| ProviderError::Config("set ANTHROPIC_API_KEY to use Anthropic".into()))?;
            let mut config = AnthropicConfig::new(&settings.model, &key);
            if !settings.base_url.is_empty() {
                config.base_url.clone_from(&settings.base_url);
            }
            std::sync::Arc::new(AnthropicProvider::new(config)?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_usage_times_price() {
        let prices = Prices { input_per_million: 3.0, output_per_million: 15.0 };
        let cost = prices.cost(Usage { input_tokens: 100_000, output_tokens: 20_000 });
        // 0.1 M × $3 + 0.02 M × $15 = $0.30 + $0.30 = 60 cents
        assert_eq!(cost.usd_cents, 60);
        assert_eq!(cost.total_tokens, 120_000);
    }
}
