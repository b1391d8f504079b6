//! Where an API key may go: never along a redirect to another origin, over plain HTTP only to
//! this machine unless allowed, and a password inside a base URL is never shown.

use std::time::Duration;

use coder_agent::provider::{
    AnthropicConfig, AnthropicProvider, OpenAiConfig, OpenAiProvider, Provider, ProviderError, Timeouts,
};
use coder_agent::testing::{Fault, ScriptServer, Turn};

use crate::support::*;

fn timeouts() -> Timeouts {
    Timeouts { connect: Duration::from_secs(5), idle: Duration::from_secs(10) }
}

fn anthropic(base_url: String) -> Result<AnthropicProvider, ProviderError> {
    let config =
        AnthropicConfig { base_url, timeouts: timeouts(), ..AnthropicConfig::new("claude-test", SECRET) };
    AnthropicProvider::new(config)
}

fn openai(base_url: String, api_key: Option<&str>) -> Result<OpenAiProvider, ProviderError> {
    let config = OpenAiConfig {
        api_key: api_key.map(str::to_owned),
        timeouts: timeouts(),
        ..OpenAiConfig::new(base_url, "llama3")
    };
    OpenAiProvider::new(config)
}

/// A host of the documentation range (RFC 5737): not loopback, and never contacted, since the
/// providers refuse before sending anything.
const REMOTE_HTTP: &str = "http://192.0.2.10:8080";

#[tokio::test]
async fn the_anthropic_key_does_not_follow_a_redirect_to_another_origin() {
    let elsewhere = ScriptServer::anthropic([Turn::reply(plain_script())]).unwrap();
    let target = format!("{}/v1/messages", elsewhere.base_url());
    let redirecting = ScriptServer::anthropic([Turn::fault(Fault::Redirect(target))]).unwrap();

    let got = collect(anthropic(redirecting.base_url()).unwrap().stream(hello_request())).await;

    assert!(got.events.is_empty());
    match got.error() {
        ProviderError::Redirected(message) => {
            assert!(
                message.contains(&elsewhere.addr().to_string()),
                "the refusal names the target: {message}"
            )
        }
        other => panic!("a redirect to another port is another origin and must be refused: {other:?}"),
    }
    assert_eq!(redirecting.requests().len(), 1, "the provider asked the configured server once");
    assert!(
        elsewhere.requests().is_empty(),
        "the other origin must receive no request at all, so it never sees x-api-key: {:?}",
        elsewhere.requests()
    );
}

#[tokio::test]
async fn the_openai_key_does_not_follow_a_redirect_to_another_origin() {
    let elsewhere = ScriptServer::openai([Turn::reply(plain_script())]).unwrap();
    let target = format!("{}/chat/completions", elsewhere.base_url());
    let redirecting = ScriptServer::openai([Turn::fault(Fault::Redirect(target))]).unwrap();

    let got = collect(openai(redirecting.base_url(), Some(SECRET)).unwrap().stream(hello_request())).await;

    assert!(matches!(got.error(), ProviderError::Redirected(_)), "{:?}", got.error());
    assert!(elsewhere.requests().is_empty(), "the other origin never sees the Authorization header");
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_key() {
    let server = ScriptServer::anthropic([
        Turn::fault(Fault::Redirect("/v1/messages".into())),
        Turn::reply(plain_script()),
    ])
    .unwrap();

    let got = collect(anthropic(server.base_url()).unwrap().stream(hello_request())).await;

    assert_eq!(got.error, None, "a redirect to the same scheme, host and port is harmless");
    assert_eq!(got.events, plain_script());
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "the request was sent again after the redirect");
    assert_secret_only_in(&requests[1], "x-api-key", SECRET);
}

#[tokio::test]
async fn a_key_over_plain_http_to_another_host_is_refused_before_any_request() {
    let expected = ProviderError::InsecureHttp { host: "192.0.2.10".into() };

    let error = anthropic(REMOTE_HTTP.into()).unwrap_err();
    assert_eq!(error, expected);
    assert!(
        error.to_string().contains("would send your API key unencrypted to 192.0.2.10"),
        "the message says what and where: {error}"
    );
    assert_eq!(openai(format!("{REMOTE_HTTP}/v1"), Some(SECRET)).unwrap_err(), expected);
}

#[tokio::test]
async fn plain_http_is_fine_without_a_key_to_loopback_or_when_allowed() {
    assert!(
        openai(format!("{REMOTE_HTTP}/v1"), None).is_ok(),
        "no key, nothing to leak (Ollama on another machine of the LAN)"
    );
    assert!(
        openai("http://localhost:11434/v1".into(), Some(SECRET)).is_ok(),
        "localhost stays on this machine"
    );
    assert!(openai("http://[::1]:11434/v1".into(), Some(SECRET)).is_ok(), "::1 stays on this machine");

    let allowed = OpenAiConfig {
        api_key: Some(SECRET.into()),
        allow_insecure_http: true,
        ..OpenAiConfig::new(format!("{REMOTE_HTTP}/v1"), "llama3")
    };
    assert!(OpenAiProvider::new(allowed).is_ok(), "the person allowed it in Settings");
    let allowed = AnthropicConfig {
        base_url: REMOTE_HTTP.into(),
        allow_insecure_http: true,
        ..AnthropicConfig::new("claude-test", SECRET)
    };
    assert!(AnthropicProvider::new(allowed).is_ok(), "the person allowed it in Settings");
}

#[tokio::test]
async fn a_password_in_the_base_url_is_never_shown() {
    const PASSWORD: &str = "hunter2-in-url";
    let body = r#"{"error":{"message":"model not found"}}"#.to_owned();
    let server = ScriptServer::openai([Turn::fault(Fault::Status(404, body))]).unwrap();
    let base_url = format!("http://proxyuser:{PASSWORD}@{}/v1", server.addr());
    let config = OpenAiConfig { api_key: Some(SECRET.into()), ..OpenAiConfig::new(&base_url, "llama3") };
    let provider = OpenAiProvider::new(config.clone()).unwrap();

    let got = collect(provider.stream(hello_request())).await;
    let error = got.error().to_string();
    assert!(error.contains("model not found"), "{error}");
    assert!(error.contains(&server.addr().to_string()), "a 404 names the address it came from: {error}");
    for shown in [format!("{config:?}"), format!("{provider:?}"), provider.label(), error] {
        assert!(!shown.contains(PASSWORD), "the URL's password leaked into {shown}");
        assert!(!shown.contains(SECRET), "the key leaked into {shown}");
    }

    let refused =
        openai(refused_base_url("/v1").replace("http://", &format!("http://u:{PASSWORD}@")), None).unwrap();
    let got = collect(refused.stream(hello_request())).await;
    assert!(matches!(got.error(), ProviderError::Connect(_)), "{:?}", got.error());
    assert!(!got.error().to_string().contains(PASSWORD), "{}", got.error());
}
