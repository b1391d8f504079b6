//! API keys in a real Secret Service (`gnome-keyring-daemon` on a private session bus): saved,
//! read before each model call, overridden by the environment, deleted — and refused with a
//! clear message, writing nothing, where no keyring service runs.
//!
//! Each check runs in a child process of this test binary (an ignored test run with `--exact`),
//! started inside the private bus with a temporary home, so the bus address and any key
//! variable live only in the child's environment.

#![cfg(target_os = "linux")]

mod session;

use coder_agent::keys::{self, KeySource, KeyedProvider, KeyringState};
use coder_agent::provider::{ModelEvent, ModelMessage, ModelRequest, Provider, ProviderError, StopReason};
use coder_agent::testing::{ScriptServer, Turn};
use coder_agent::{ProviderKind, Settings};
use session::{succeeded, PrivateHome};

const ANTHROPIC_KEY: &str = "sk-ant-keyring-7f3e91";
const OPENAI_KEY: &str = "sk-openai-keyring-1b9c44";
const ENVIRONMENT_KEY: &str = "sk-ant-environment-52d0a8";

/// Runs the ignored test `name` of this binary in a child process; `keyring` puts it on a
/// private bus with an unlocked keyring, otherwise no keyring is reachable.
fn child(home: &PrivateHome, name: &str, keyring: bool, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().unwrap();
    let args = ["--exact", name, "--ignored", "--nocapture", "--test-threads=1"];
    let mut command = if keyring { home.with_keyring(&exe, &args) } else { home.command(&exe, &args) };
    command.envs(env.iter().copied());
    let out = command.output().expect("dbus-run-session runs (install dbus: scripts/setup-debian.sh)");
    let stdout = succeeded(name, &out);
    assert!(stdout.contains("1 passed"), "the check {name} ran:\n{stdout}");
}

#[test]
fn a_key_in_the_keyring_is_read_at_each_call_until_deleted() {
    let home = PrivateHome::new();
    child(&home, "keyring_round_trip_child", true, &[]);
    for key in [ANTHROPIC_KEY, OPENAI_KEY] {
        assert_eq!(
            home.files_holding(key),
            Vec::<std::path::PathBuf>::new(),
            "no file holds the key in plain text"
        );
    }
    assert!(home.path().join("data/keyrings").is_dir(), "the private home's keyring was the one used");
}

#[test]
fn the_environment_wins_over_the_keyring() {
    let home = PrivateHome::new();
    child(&home, "environment_wins_child", true, &[("ANTHROPIC_API_KEY", ENVIRONMENT_KEY)]);
}

#[test]
fn without_a_keyring_service_keys_are_refused_and_nothing_is_written() {
    let home = PrivateHome::new();
    child(&home, "no_keyring_child", false, &[]);
    let files = home.files();
    assert!(files.is_empty(), "no file stands in for the keyring: {files:?}");
}

#[test]
fn a_looked_up_key_never_goes_unencrypted_to_another_host() {
    use coder_agent::provider::{
        AnthropicConfig, AnthropicProvider, KeyLookup, OpenAiConfig, OpenAiProvider,
    };

    let lookup = KeyLookup::new(|| Ok(Some(OPENAI_KEY.to_owned())));
    let config = OpenAiConfig::new("http://192.0.2.7:9/v1", "llama3");
    let openai = OpenAiProvider::with_key_lookup(config, lookup.clone()).expect("no key is known yet");
    let error = call(&runtime(), &openai).expect("the found key may not go over plain http");
    assert_eq!(error, ProviderError::InsecureHttp { host: "192.0.2.7".into() }, "refused before connecting");

    let mut config = AnthropicConfig::new("claude-test", "");
    config.base_url = "http://192.0.2.7:9".into();
    let refused =
        AnthropicProvider::with_key_lookup(config, lookup).expect_err("Anthropic always sends a key");
    assert_eq!(refused, ProviderError::InsecureHttp { host: "192.0.2.7".into() });
}

/// A runtime for the model calls. The key functions block and must not run on one of its
/// threads, so the checks call them from the test's own thread.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn reply() -> Turn {
    Turn::reply(vec![ModelEvent::TextDelta("Hello.".into()), ModelEvent::Stop(StopReason::EndTurn)])
}

fn settings(provider: ProviderKind, server: &ScriptServer) -> Settings {
    Settings { provider, base_url: server.base_url(), model: "test-model".into(), ..Settings::default() }
}

/// One model call: its error, if any.
fn call(runtime: &tokio::runtime::Runtime, provider: &dyn Provider) -> Option<ProviderError> {
    let request = ModelRequest {
        model: String::new(),
        system: None,
        messages: vec![ModelMessage::User { content: "Hello".into() }],
        tools: Vec::new(),
        max_tokens: 64,
    };
    runtime.block_on(async {
        let mut stream = provider.stream(request);
        while let Some(item) = stream.next().await {
            if let Err(error) = item {
                return Some(error);
            }
        }
        None
    })
}

#[test]
#[ignore = "run by a_key_in_the_keyring_is_read_at_each_call_until_deleted, on a private bus"]
fn keyring_round_trip_child() {
    let rt = runtime();
    let server = rt.block_on(async { ScriptServer::anthropic([reply(), reply()]).unwrap() });
    // Built before any key exists: the key is looked up at each call, not here.
    let anthropic = coder_agent::settings::provider(&settings(ProviderKind::Anthropic, &server))
        .expect("an Anthropic provider is built without a key");

    let status = keys::status(KeyedProvider::Anthropic);
    assert_eq!(status.keyring, KeyringState::Empty, "a new keyring holds no key");
    assert_eq!(status.source, KeySource::Missing);
    let error = call(&rt, anthropic.as_ref()).expect("a call without a key fails");
    let text = error.to_string();
    assert!(
        text.contains("coder key set anthropic") && text.contains("ANTHROPIC_API_KEY"),
        "the error says how to set a key: {text}"
    );
    assert!(server.requests().is_empty(), "no request goes out without a key");

    keys::set(KeyedProvider::Anthropic, &format!("  {ANTHROPIC_KEY}\n")).expect("the key is saved");
    let status = keys::status(KeyedProvider::Anthropic);
    assert_eq!((status.source, status.keyring), (KeySource::Keyring, KeyringState::Holds));
    assert_eq!(call(&rt, anthropic.as_ref()), None, "the same provider now finds the saved key");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("x-api-key"), Some(ANTHROPIC_KEY), "the trimmed key is sent");
    assert!(!anthropic.label().contains(ANTHROPIC_KEY), "the label never shows the key");

    let openai_server = rt.block_on(async { ScriptServer::openai([reply()]).unwrap() });
    let openai = coder_agent::settings::provider(&settings(ProviderKind::Openai, &openai_server)).unwrap();
    keys::set(KeyedProvider::Openai, OPENAI_KEY).unwrap();
    assert_eq!(call(&rt, openai.as_ref()), None);
    let expected = format!("Bearer {OPENAI_KEY}");
    assert_eq!(openai_server.requests()[0].header("authorization"), Some(expected.as_str()));

    assert_eq!(keys::delete(KeyedProvider::Anthropic), Ok(true), "the saved key is deleted");
    assert_eq!(keys::delete(KeyedProvider::Anthropic), Ok(false), "deleting again finds none");
    let status = keys::status(KeyedProvider::Anthropic);
    assert_eq!((status.source, status.keyring), (KeySource::Missing, KeyringState::Empty));
    let error = call(&rt, anthropic.as_ref()).expect("after deleting, a call fails again");
    assert!(error.to_string().contains("coder key set anthropic"), "{error}");
    assert_eq!(server.requests().len(), 1, "the deleted key is not sent");
    assert_eq!(keys::status(KeyedProvider::Openai).keyring, KeyringState::Holds, "other keys stay");
}

#[test]
#[ignore = "run by the_environment_wins_over_the_keyring, with ANTHROPIC_API_KEY set, on a private bus"]
fn environment_wins_child() {
    assert_eq!(std::env::var("ANTHROPIC_API_KEY").as_deref(), Ok(ENVIRONMENT_KEY), "the parent set it");
    keys::set(KeyedProvider::Anthropic, ANTHROPIC_KEY).unwrap();
    let status = keys::status(KeyedProvider::Anthropic);
    assert_eq!((status.source, status.keyring), (KeySource::Environment, KeyringState::Holds));
    assert_eq!(keys::resolve(KeyedProvider::Anthropic), Ok(Some(ENVIRONMENT_KEY.to_owned())));

    let rt = runtime();
    let server = rt.block_on(async { ScriptServer::anthropic([reply()]).unwrap() });
    let anthropic = coder_agent::settings::provider(&settings(ProviderKind::Anthropic, &server)).unwrap();
    assert_eq!(call(&rt, anthropic.as_ref()), None);
    assert_eq!(
        server.requests()[0].header("x-api-key"),
        Some(ENVIRONMENT_KEY),
        "the environment's key is sent"
    );
}

#[test]
#[ignore = "run by without_a_keyring_service_keys_are_refused_and_nothing_is_written, with no bus"]
fn no_keyring_child() {
    let status = keys::status(KeyedProvider::Anthropic);
    assert_eq!(status.source, KeySource::Missing);
    let KeyringState::Unavailable(reason) = status.keyring else {
        panic!("with no bus the keyring is unavailable, not {:?}", status.keyring)
    };
    assert!(reason.contains("no keyring service is running"), "the cause is named: {reason}");
    assert!(reason.contains("set ANTHROPIC_API_KEY instead"), "the way out is named: {reason}");

    let error = keys::set(KeyedProvider::Anthropic, ANTHROPIC_KEY).expect_err("nothing to save into");
    assert_eq!(error.code(), "keyring_unavailable");
    assert!(keys::delete(KeyedProvider::Openai).unwrap_err().is_keyring_unavailable());
    assert!(keys::resolve(KeyedProvider::Openai).unwrap_err().is_keyring_unavailable());

    let rt = runtime();
    let server = rt.block_on(async { ScriptServer::anthropic([reply()]).unwrap() });
    let anthropic = coder_agent::settings::provider(&settings(ProviderKind::Anthropic, &server)).unwrap();
    let error = call(&rt, anthropic.as_ref()).expect("no key, no call").to_string();
    assert!(error.contains("no keyring service is running"), "the model call says why: {error}");

    // A local OpenAI-compatible server needs no key: the call goes out without one.
    let openai_server = rt.block_on(async { ScriptServer::openai([reply()]).unwrap() });
    let openai = coder_agent::settings::provider(&settings(ProviderKind::Openai, &openai_server)).unwrap();
    assert_eq!(call(&rt, openai.as_ref()), None);
    assert_eq!(openai_server.requests()[0].header("authorization"), None);
}
