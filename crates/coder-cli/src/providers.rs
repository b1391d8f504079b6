//! The provider `coder run` talks to.

use std::sync::Arc;

use coder_agent::provider::Provider;
use coder_agent::{ProviderKind, Settings};

use crate::args::ProviderArg;
use crate::Failure;

pub fn kind(arg: ProviderArg) -> ProviderKind {
    match arg {
        ProviderArg::Openai => ProviderKind::Openai,
        ProviderArg::Anthropic => ProviderKind::Anthropic,
        ProviderArg::Demo => ProviderKind::Demo,
    }
}

pub fn build(settings: &Settings) -> Result<Arc<dyn Provider>, Failure> {
    if settings.provider == ProviderKind::Openai && settings.base_url.is_empty() {
        return Err(Failure::new(
            "--provider openai needs --base-url (for Ollama: http://localhost:11434/v1)",
        ));
    }
    coder_agent::settings::provider(settings).map_err(|e| Failure::new(e.to_string()))
}
