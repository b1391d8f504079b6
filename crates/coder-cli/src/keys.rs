//! `coder key`: API keys in the system keyring. The key is read from standard input and never
//! printed; status says where each provider's key would come from at the next model call.

use std::io::{BufRead, Read};

use coder_agent::keys::{self, KeySource, KeyStatus, KeyedProvider, KeyringState, MAX_KEY_CHARS};

use crate::args::{KeyAction, KeyProviderArg};
use crate::Failure;

pub fn run(action: &KeyAction, json: bool) -> Result<(), Failure> {
    match action {
        KeyAction::Set { provider } => set(provider_of(*provider)),
        KeyAction::Delete { provider } => delete(provider_of(*provider)),
        KeyAction::Status => status(json),
    }
}

fn provider_of(arg: KeyProviderArg) -> KeyedProvider {
    match arg {
        KeyProviderArg::Openai => KeyedProvider::Openai,
        KeyProviderArg::Anthropic => KeyedProvider::Anthropic,
    }
}

/// Reads one line from standard input (at most a little more than the longest key, so a file
/// piped in by mistake is not read whole) and saves it.
fn set(provider: KeyedProvider) -> Result<(), Failure> {
    let mut line = String::new();
    let limit = u64::try_from(MAX_KEY_CHARS + 2).unwrap_or(u64::MAX);
    std::io::stdin()
        .lock()
        .take(limit)
        .read_line(&mut line)
        .map_err(|e| Failure::new(format!("cannot read the key from standard input: {e}")))?;
    keys::set(provider, &line)?;
    println!("saved the {provider} key in the keyring");
    if std::env::var_os(provider.variable()).is_some_and(|value| !value.is_empty()) {
        println!("note: {} is set in this environment and wins over the keyring", provider.variable());
    }
    Ok(())
}

fn delete(provider: KeyedProvider) -> Result<(), Failure> {
    if keys::delete(provider)? {
        println!("deleted the {provider} key from the keyring");
    } else {
        println!("the keyring holds no {provider} key");
    }
    Ok(())
}

/// One line per provider; fails (after listing all) when the keyring cannot be used, since then
/// only the environment can hold keys.
fn status(json: bool) -> Result<(), Failure> {
    let statuses: Vec<KeyStatus> = KeyedProvider::ALL.into_iter().map(keys::status).collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&statuses)?);
    } else {
        for status in &statuses {
            println!("{}: {}", status.provider, describe(status));
        }
    }
    match statuses.iter().find_map(|status| match &status.keyring {
        KeyringState::Unavailable(reason) => Some(reason.clone()),
        _ => None,
    }) {
        Some(_) if !json => {
            Err(Failure::new("the keyring cannot be used; keys can come only from the environment"))
        }
        Some(reason) => Err(Failure::new(reason)),
        None => Ok(()),
    }
}

fn describe(status: &KeyStatus) -> String {
    let variable = status.variable;
    match (status.source, &status.keyring) {
        (KeySource::Environment, KeyringState::Holds) => {
            format!("from {variable} (environment wins; the keyring also holds one)")
        }
        (KeySource::Environment, _) => format!("from {variable} (environment wins)"),
        (_, KeyringState::Unavailable(reason)) => format!("keyring unavailable: {reason}"),
        (KeySource::Keyring, _) => "in the keyring".to_owned(),
        (KeySource::Missing, _) => format!("not set (`coder key set {}` or {variable})", status.provider),
    }
}
