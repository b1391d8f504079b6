//! Agent settings: which provider, where, which model, and what it costs. They live in
//! `settings.json` in the data directory, never in the event log; API keys are not stored here
//! at all (they come from the environment or the OS keyring, see `keys`). The file is still private to its
//! owner (mode 0600 on Unix), since a base URL may carry a password.
//!
//! Compatibility: every field added after the first release has a serde default, so a
//! `settings.json` written by an earlier version still loads (see the `old_settings` test).

use std::collections::BTreeMap;
use std::path::Path;

use coder_domain::{Cost, PermissionRule};
use serde::{Deserialize, Serialize};

use crate::keys::{self, KeyedProvider};
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

/// The settings file's mode on Unix: read and write for its owner only.
#[cfg(unix)]
const PRIVATE_MODE: u32 = 0o600;

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

/// A cache read's price when none is set, as a share of the input price (Anthropic's and
/// OpenAI's cached input costs a tenth or less).
pub const DEFAULT_CACHE_READ_SHARE: f64 = 0.10;
/// A cache write's price when none is set, as a share of the input price (Anthropic's
/// five-minute cache write costs 1.25 times the input).
pub const DEFAULT_CACHE_WRITE_SHARE: f64 = 1.25;

/// Prices in US dollars per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Prices {
    pub input_per_million: f64,
    pub output_per_million: f64,
    /// Input tokens read from the provider's prompt cache; `None` is
    /// `DEFAULT_CACHE_READ_SHARE` of the input price.
    #[serde(default)]
    pub cache_read_per_million: Option<f64>,
    /// Input tokens written to the provider's prompt cache; `None` is
    /// `DEFAULT_CACHE_WRITE_SHARE` of the input price.
    #[serde(default)]
    pub cache_write_per_million: Option<f64>,
}

impl Prices {
    /// Input and output prices, with the default cache prices.
    pub fn new(input_per_million: f64, output_per_million: f64) -> Self {
        Self { input_per_million, output_per_million, ..Self::default() }
    }

    /// The price of a million tokens read from the cache.
    pub fn cache_read(&self) -> f64 {
        self.cache_read_per_million.unwrap_or(self.input_per_million * DEFAULT_CACHE_READ_SHARE)
    }

    /// The price of a million tokens written to the cache.
    pub fn cache_write(&self) -> f64 {
        self.cache_write_per_million.unwrap_or(self.input_per_million * DEFAULT_CACHE_WRITE_SHARE)
    }

    /// What `usage` costs, in whole cents (rounded to nearest). `Cost::input_tokens` counts
    /// every input token, cached or not; each kind is priced at its own rate.
    pub fn cost(&self, usage: Usage) -> Cost {
        let per_token = |tokens: u32, per_million: f64| f64::from(tokens) * per_million / 1e6;
        let dollars = per_token(usage.input_tokens, self.input_per_million)
            + per_token(usage.cache_read_input_tokens, self.cache_read())
            + per_token(usage.cache_creation_input_tokens, self.cache_write())
            + per_token(usage.output_tokens, self.output_per_million);
        let input_tokens = usage.total_input_tokens();
        Cost {
            input_tokens,
            output_tokens: usage.output_tokens,
            total_tokens: input_tokens.saturating_add(usage.output_tokens),
            // `as` saturates and maps NaN (a NaN price from a hand-edited file) to 0.
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
    /// Send the API key over plain `http://` to a host that is not this machine. Off, such a
    /// provider is refused (`ProviderError::InsecureHttp`); loopback hosts are always allowed.
    #[serde(default)]
    pub allow_insecure_http: bool,
    /// Per project root path (as the project stores it), the names of environment variables
    /// that commands run for that project receive although the environment is otherwise
    /// scrubbed of secrets. Empty: commands get only the scrubbed environment.
    #[serde(default)]
    pub command_env_allow: BTreeMap<String, Vec<String>>,
    /// Tokens the model's context window holds; `None` takes the default for the model's
    /// family (`context::window_tokens`). Threads are summarized to stay within it.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub context_window_tokens: Option<u64>,
    /// Permission rules for every project (see `crate::rules`); each project's own are in its log.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<PermissionRule>,
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
            allow_insecure_http: false,
            command_env_allow: BTreeMap::new(),
            context_window_tokens: None,
            rules: Vec::new(),
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
            ..Self::default()
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

    /// Writes `settings.json` atomically (write a temporary file, then rename) with mode 0600 on
    /// Unix: the temporary file is created private and tightened if it already existed, and the
    /// rename replaces an existing, looser file with it.
    pub fn save(&self, data_dir: &Path) -> Result<(), SettingsError> {
        use std::io::Write;

        let path = data_dir.join(SETTINGS_FILE);
        let io = |source| SettingsError::Io { path: path.display().to_string(), source };
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let tmp = path.with_extension("json.tmp");
        let text = serde_json::to_string_pretty(self).expect("settings always serialize");
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_MODE);
        let mut file = options.open(&tmp).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_MODE)).map_err(io)?;
        }
        file.write_all(text.as_bytes()).map_err(io)?;
        file.sync_all().map_err(io)?;
        drop(file);
        std::fs::rename(&tmp, &path).map_err(io)
    }

    /// The provider whose API key these settings need; `None` for the demo.
    pub fn keyed_provider(&self) -> Option<KeyedProvider> {
        match self.provider {
            ProviderKind::Openai => Some(KeyedProvider::Openai),
            ProviderKind::Anthropic => Some(KeyedProvider::Anthropic),
            ProviderKind::Demo => None,
        }
    }

    /// The environment variable holding this provider's API key (it wins over the keyring).
    pub fn key_variable(&self) -> Option<&'static str> {
        self.keyed_provider().map(KeyedProvider::variable)
    }
}

/// The provider these settings describe. Its API key is not read here but before each model
/// call (`keys::resolve`: the environment variable, then the OS keyring), so a key saved,
/// changed or deleted takes effect at the next call. The key is held only for that request.
pub fn provider(
    settings: &Settings,
) -> Result<std::sync::Arc<dyn crate::provider::Provider>, crate::provider::ProviderError> {
    use crate::provider::{
        AnthropicConfig, AnthropicProvider, KeyLookup, OpenAiConfig, OpenAiProvider, ScriptedProvider,
    };
    let lookup = |provider: KeyedProvider| KeyLookup::new(move || keys::resolve(provider));
    Ok(match settings.provider {
        ProviderKind::Demo => std::sync::Arc::new(ScriptedProvider::demo()),
        ProviderKind::Openai => {
            let mut config = OpenAiConfig::new(&settings.base_url, &settings.model);
            config.allow_insecure_http = settings.allow_insecure_http;
            std::sync::Arc::new(OpenAiProvider::with_key_lookup(config, lookup(KeyedProvider::Openai))?)
        }
        ProviderKind::Anthropic => {
            let mut config = AnthropicConfig::new(&settings.model, "");
            config.allow_insecure_http = settings.allow_insecure_http;
            if !settings.base_url.is_empty() {
                config.base_url.clone_from(&settings.base_url);
            }
            std::sync::Arc::new(AnthropicProvider::with_key_lookup(config, lookup(KeyedProvider::Anthropic))?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_usage_times_price() {
        let prices = Prices::new(3.0, 15.0);
        let cost = prices.cost(Usage::new(100_000, 20_000));
        // 0.1 M × $3 + 0.02 M × $15 = $0.30 + $0.30 = 60 cents
        assert_eq!(cost.usd_cents, 60);
        assert_eq!(cost.total_tokens, 120_000);
    }

    #[test]
    fn cached_tokens_count_as_input_at_their_own_prices() {
        let usage = Usage {
            input_tokens: 100_000,
            output_tokens: 0,
            cache_read_input_tokens: 1_000_000,
            cache_creation_input_tokens: 200_000,
        };
        let defaults = Prices::new(3.0, 15.0).cost(usage);
        // $0.30 uncached + 1 M × $0.30 (10 %) + 0.2 M × $3.75 (125 %) = $0.30 + $0.30 + $0.75
        assert_eq!(defaults.usd_cents, 135, "unset cache prices follow the input price");
        assert_eq!(defaults.input_tokens, 1_300_000, "every input token is counted, cached or not");
        assert_eq!(defaults.total_tokens, 1_300_000);

        let set = Prices {
            cache_read_per_million: Some(1.0),
            cache_write_per_million: Some(5.0),
            ..Prices::new(3.0, 15.0)
        };
        // $0.30 + 1 M × $1 + 0.2 M × $5 = $2.30
        assert_eq!(set.cost(usage).usd_cents, 230, "set cache prices are used as they are");
    }

    /// A settings file as the first release wrote it, before the cache prices,
    /// `allow_insecure_http` and `command_env_allow` existed.
    const OLD_SETTINGS: &str = r#"{
  "provider": "anthropic",
  "base_url": "https://api.anthropic.com",
  "model": "claude-sonnet",
  "prices": { "input_per_million": 3.0, "output_per_million": 15.0 },
  "max_turns": 40
}"#;

    #[test]
    fn old_settings_still_load_with_the_new_fields_at_their_defaults() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SETTINGS_FILE), OLD_SETTINGS).unwrap();
        let settings = Settings::load(dir.path()).expect("a file written before the new fields loads");
        assert_eq!(settings.provider, ProviderKind::Anthropic);
        assert_eq!(settings.max_turns, 40);
        assert_eq!(settings.prices, Prices::new(3.0, 15.0));
        assert!(!settings.allow_insecure_http, "plain HTTP to another host stays refused unless allowed");
        assert!(settings.command_env_allow.is_empty(), "no variable passes the scrub unless listed");
        assert_eq!(settings.context_window_tokens, None, "the window comes from the model's family");
        assert!(settings.rules.is_empty(), "no global rule unless one was added");
    }

    #[test]
    fn global_rules_round_trip_and_are_left_out_when_there_are_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::ollama("llama3");
        settings.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(!text.contains("rules"), "a file without rules looks as an earlier version wrote it");
        settings.rules.push(PermissionRule {
            effect: coder_domain::RuleEffect::Deny,
            tool: "run_command".into(),
            pattern: "rm *".into(),
        });
        settings.save(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(SETTINGS_FILE)).unwrap();
        assert!(text.contains(r#""effect": "deny""#), "the effect is a word a person can edit: {text}");
        assert_eq!(Settings::load(dir.path()).unwrap(), settings);
    }

    #[test]
    fn new_fields_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::ollama("llama3");
        settings.allow_insecure_http = true;
        settings.command_env_allow.insert("/home/me/project".into(), vec!["CARGO_HOME".into()]);
        settings.prices.cache_read_per_million = Some(0.3);
        settings.context_window_tokens = Some(32_768);
        settings.save(dir.path()).unwrap();
        assert_eq!(Settings::load(dir.path()).unwrap(), settings);
    }

    #[cfg(unix)]
    #[test]
    fn the_settings_file_is_private_to_its_owner() {
        use std::os::unix::fs::PermissionsExt;

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SETTINGS_FILE);
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;

        Settings::default().save(dir.path()).unwrap();
        assert_eq!(mode(&path), 0o600, "a new settings file is created readable by its owner only");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let stale_tmp = path.with_extension("json.tmp");
        std::fs::write(&stale_tmp, "left by a crash").unwrap();
        std::fs::set_permissions(&stale_tmp, std::fs::Permissions::from_mode(0o666)).unwrap();
        Settings::ollama("llama3").save(dir.path()).unwrap();
        assert_eq!(mode(&path), 0o600, "saving tightens a file an earlier version left readable to others");
        assert_eq!(Settings::load(dir.path()).unwrap(), Settings::ollama("llama3"));
    }
}
