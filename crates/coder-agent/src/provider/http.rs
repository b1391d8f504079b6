//! What the HTTP providers share: the client, timeouts, turning an HTTP error answer into a
//! readable `ProviderError`, and reading an event stream with an idle timeout.
//!
//! Error messages are built from the server's answer and the transport's error chain; neither
//! contains request headers, so an API key never reaches a message, and base URLs in them are
//! shown without their user name and password.
//!
//! Where a key may go: redirects are followed only within the base URL's origin (scheme, host
//! and port). reqwest drops only `Authorization` and cookies on a redirect to another host, and
//! Anthropic's key travels in `x-api-key`, so following a cross-origin redirect would hand the
//! key to whoever the server names. A key also goes over plain `http://` only to a loopback host
//! unless the person allowed it.

use std::time::Duration;

use tokio::sync::mpsc;

use super::sse::{SseDecoder, SseEvent};
use super::{ModelEvent, ProviderError};

/// The longest provider error message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 300;
/// The most of an error body read to find its message.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// How long a provider waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the TCP (and TLS) connection.
    pub connect: Duration,
    /// For the response to start, and then between two pieces of the streamed body. A local
    /// model may take a while to load before its first token, so the default is generous.
    pub idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(10), idle: Duration::from_secs(180) }
    }
}

/// The most redirects followed (all within the base URL's origin).
const MAX_REDIRECTS: usize = 5;

/// Whether requests carry a secret, and whether the person allows sending it over plain HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyUse {
    /// An API key will be sent with every request.
    pub has_key: bool,
    /// Settings' `allow_insecure_http`.
    pub allow_insecure_http: bool,
}

/// A client for one base URL: no proxy for loopback addresses (a local model server must not be
/// sent through a corporate proxy), the environment's proxy settings otherwise; redirects only
/// within the base URL's origin.
///
/// Fails with `Config` when the base URL is not an http(s) URL, and with `InsecureHttp` when a
/// key (or a password in the URL) would go over plain HTTP to a host that is not loopback and
/// the person has not allowed that.
pub(crate) fn client(
    base_url: &str,
    timeouts: Timeouts,
    keys: KeyUse,
) -> Result<reqwest::Client, ProviderError> {
    let shown = super::display_url(base_url);
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| ProviderError::Config(format!("the base URL {shown:?} is not valid: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ProviderError::Config(format!("the base URL {shown:?} is not http or https")));
    }
    let has_secret = keys.has_key || !url.username().is_empty() || url.password().is_some();
    if has_secret {
        refuse_insecure_key(&url, keys.allow_insecure_http)?;
    }
    let mut builder = reqwest::Client::builder()
        .connect_timeout(timeouts.connect)
        .redirect(reqwest::redirect::Policy::custom(same_origin_only));
    if is_loopback(&url) {
        builder = builder.no_proxy();
    }
    builder
        .build()
        .map_err(|e| ProviderError::Config(format!("cannot set up the HTTP client: {}", chain(&e))))
}

/// `InsecureHttp` when a secret for `url` would go over plain HTTP to a host that is not
/// loopback and the person has not allowed that (Settings' `allow_insecure_http`).
fn refuse_insecure_key(url: &reqwest::Url, allow_insecure_http: bool) -> Result<(), ProviderError> {
    if url.scheme() == "http" && !is_loopback(url) && !allow_insecure_http {
        return Err(ProviderError::InsecureHttp { host: url.host_str().unwrap_or_default().to_owned() });
    }
    Ok(())
}

/// Checks, before a key found at request time is attached, that it may go to `base_url`: the
/// same rule `client` applies to a key known when the provider is built.
pub(crate) fn check_key_transport(base_url: &str, allow_insecure_http: bool) -> Result<(), ProviderError> {
    let url = reqwest::Url::parse(base_url).map_err(|e| {
        ProviderError::Config(format!("the base URL {:?} is not valid: {e}", super::display_url(base_url)))
    })?;
    refuse_insecure_key(&url, allow_insecure_http)
}

/// Follows a redirect only to the origin the request was sent to; refuses any other with
/// `CrossOriginRedirect`, which `transport_error` turns into `ProviderError::Redirected`.
fn same_origin_only(attempt: reqwest::redirect::Attempt<'_>) -> reqwest::redirect::Action {
    let from = attempt.previous().first().map(reqwest::Url::origin);
    if from.as_ref() != Some(&attempt.url().origin()) {
        let to = super::display_url(attempt.url().as_str());
        return attempt.error(CrossOriginRedirect { to });
    }
    if attempt.previous().len() > MAX_REDIRECTS {
        return attempt.error(TooManyRedirects);
    }
    attempt.follow()
}

#[derive(Debug)]
struct CrossOriginRedirect {
    to: String,
}

impl std::fmt::Display for CrossOriginRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused to follow a redirect to {}, another origin than the base URL", self.to)
    }
}

impl std::error::Error for CrossOriginRedirect {}

#[derive(Debug)]
struct TooManyRedirects;

impl std::fmt::Display for TooManyRedirects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_REDIRECTS} redirects")
    }
}

impl std::error::Error for TooManyRedirects {}

/// Whether the URL's host is this machine: `localhost`, 127.0.0.0/8 or ::1 (also written as
/// an IPv4-mapped IPv6 address).
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.strip_suffix('.').unwrap_or(host);
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback(),
        Ok(std::net::IpAddr::V6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|ip| ip.is_loopback())
        }
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

/// `base` with `path` appended, whether or not `base` ends in a slash.
pub(crate) fn join(base: &str, path: &str) -> String {
    format!("{}/{}", base.trim_end_matches('/'), path.trim_start_matches('/'))
}

/// Sends the request and waits (at most `idle`) for the answer to start. A non-success status
/// becomes `ProviderError::Http` with the provider's own message if its body has one.
pub(crate) async fn open_stream(
    request: reqwest::RequestBuilder,
    idle: Duration,
) -> Result<SseBody, ProviderError> {
    let response = match tokio::time::timeout(idle, request.send()).await {
        Ok(Ok(response)) => response,
        Ok(Err(error)) => return Err(transport_error(&error)),
        Err(_) => return Err(timeout(idle)),
    };
    let status = response.status();
    if !status.is_success() {
        // A bare "Not Found" does not tell a wrong base URL from a wrong model; the address does.
        let at = (status == reqwest::StatusCode::NOT_FOUND)
            .then(|| format!(" (at {})", super::display_url(response.url().as_str())));
        let body = read_capped(response, idle).await;
        let mut message = error_message(status, &body);
        message.push_str(at.as_deref().unwrap_or_default());
        return Err(ProviderError::Http { status: status.as_u16(), message });
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        // The server ignored `stream: true` (or answered an error with status 200).
        let body = read_capped(response, idle).await;
        return Err(ProviderError::Malformed(format!(
            "expected an event stream, got JSON: {}",
            truncate(String::from_utf8_lossy(&body).trim())
        )));
    }
    Ok(SseBody { response, decoder: SseDecoder::default(), pending: Vec::new(), failed: None, idle })
}

/// A streamed body read as SSE events.
pub(crate) struct SseBody {
    response: reqwest::Response,
    decoder: SseDecoder,
    /// Decoded events not yet handed out, in reverse order.
    pending: Vec<SseEvent>,
    /// The decoder's fault, handed out once the events decoded before it are.
    failed: Option<ProviderError>,
    idle: Duration,
}

impl SseBody {
    /// The next event; `None` at the end of the body. A wait longer than the idle timeout is
    /// `Timeout`; a transport error while reading is `Disconnected`.
    pub(crate) async fn next(&mut self) -> Result<Option<SseEvent>, ProviderError> {
        loop {
            if let Some(event) = self.pending.pop() {
                return Ok(Some(event));
            }
            if let Some(error) = self.failed.take() {
                return Err(error);
            }
            match tokio::time::timeout(self.idle, self.response.chunk()).await {
                Err(_) => return Err(timeout(self.idle)),
                Ok(Ok(Some(bytes))) => {
                    let mut events = Vec::new();
                    self.failed = self.decoder.push(&bytes, &mut events).err();
                    events.reverse();
                    self.pending = events;
                }
                Ok(Ok(None)) => return self.decoder.finish(),
                Ok(Err(error)) => return Err(ProviderError::Disconnected(chain(&error))),
            }
        }
    }
}

/// Where the provider task sends its events. A send fails only when the caller dropped the
/// stream, which also aborts the task, so a failed send needs no handling.
pub(crate) struct Emitter(pub(crate) mpsc::Sender<Result<ModelEvent, ProviderError>>);

impl Emitter {
    pub(crate) async fn event(&self, event: ModelEvent) {
        let _ = self.0.send(Ok(event)).await;
    }

    pub(crate) async fn error(&self, error: ProviderError) {
        let _ = self.0.send(Err(error)).await;
    }
}

pub(crate) fn timeout(idle: Duration) -> ProviderError {
    ProviderError::Timeout { seconds: idle.as_secs() }
}

fn transport_error(error: &reqwest::Error) -> ProviderError {
    if error.is_redirect() {
        ProviderError::Redirected(chain(error))
    } else if error.is_connect() {
        ProviderError::Connect(chain(error))
    } else if error.is_timeout() {
        ProviderError::Connect(format!("timed out: {}", chain(error)))
    } else if error.is_builder() {
        ProviderError::Config(chain(error))
    } else {
        ProviderError::Disconnected(chain(error))
    }
}

/// The error and its causes, "a: b: c" — reqwest's own message alone ("error sending request")
/// does not say what went wrong.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

async fn read_capped(mut response: reqwest::Response, idle: Duration) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY {
        match tokio::time::timeout(idle, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(MAX_ERROR_BODY);
    body
}

/// The provider's message from an error body: `error.message` (OpenAI, Anthropic and most
/// compatible servers), `error` as a string (Ollama), `message` or `detail` (FastAPI-based
/// servers such as vLLM); else the body's text; else the status's reason phrase.
pub(crate) fn error_message(status: reqwest::StatusCode, body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let from_json = serde_json::from_str::<serde_json::Value>(text).ok().and_then(|json| json_message(&json));
    let message = match from_json {
        Some(message) => message,
        None if !text.is_empty() => text.to_owned(),
        None => status.canonical_reason().unwrap_or("no message").to_owned(),
    };
    truncate(&message)
}

/// The message of a JSON error object, if it has one.
pub(crate) fn json_message(json: &serde_json::Value) -> Option<String> {
    let text = |value: &serde_json::Value| value.as_str().map(str::to_owned);
    let error = json.get("error");
    error
        .and_then(|error| error.get("message"))
        .and_then(text)
        .or_else(|| error.and_then(text))
        .or_else(|| json.get("message").and_then(text))
        .or_else(|| json.get("detail").map(|detail| text(detail).unwrap_or_else(|| detail.to_string())))
}

/// Statuses with which servers refuse a request the model cannot take: 400 (OpenAI, Anthropic,
/// vLLM, Ollama), 415 and 422 (some proxies), 500 (llama.cpp's server without a projector).
const REFUSAL_STATUSES: [u16; 4] = [400, 415, 422, 500];
/// Words that show a refusal is about the request's images.
const IMAGE_WORDS: [&str; 6] = ["image", "vision", "multimodal", "multi-modal", "mmproj", "modalit"];

/// `error` as `ImagesUnsupported` when the request carried images and the server refused it in
/// words about images or vision; any other error as it is. Without images in the request
/// nothing is reinterpreted, so a text-only refusal keeps its own message.
pub(crate) fn refusal_of_images(error: ProviderError, has_images: bool) -> ProviderError {
    match error {
        ProviderError::Http { status, message }
            if has_images
                && REFUSAL_STATUSES.contains(&status)
                && IMAGE_WORDS.iter().any(|word| message.to_lowercase().contains(word)) =>
        {
            ProviderError::ImagesUnsupported { detail: message }
        }
        other => other,
    }
}

/// At most `MAX_MESSAGE_CHARS` characters, with an ellipsis when cut.
pub(crate) fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> reqwest::Url {
        reqwest::Url::parse(text).unwrap()
    }

    #[test]
    fn only_a_refusal_about_images_of_a_request_with_images_is_images_unsupported() {
        let refusal = |status: u16, message: &str| ProviderError::Http { status, message: message.into() };
        let openai = "Invalid content type. image_url is only supported by certain models.";
        assert_eq!(
            refusal_of_images(refusal(400, openai), true),
            ProviderError::ImagesUnsupported { detail: openai.into() }
        );
        assert!(matches!(
            refusal_of_images(refusal(500, "image input is not supported - you may need the mmproj"), true),
            ProviderError::ImagesUnsupported { .. }
        ));
        assert_eq!(
            refusal_of_images(refusal(400, openai), false),
            refusal(400, openai),
            "a request without images keeps the provider's own words"
        );
        assert_eq!(
            refusal_of_images(refusal(400, "max_tokens is too large"), true),
            refusal(400, "max_tokens is too large"),
            "a refusal about something else stays what it is"
        );
        assert_eq!(
            refusal_of_images(refusal(401, "bad key for vision"), true),
            refusal(401, "bad key for vision")
        );
        let words = ProviderError::ImagesUnsupported { detail: "x".into() }.to_string();
        assert!(
            words.starts_with(
                "This model does not accept images; remove the image or choose a model with vision"
            ),
            "{words}"
        );
    }

    #[test]
    fn loopback_is_localhost_127_slash_8_and_ipv6_one() {
        for loopback in [
            "http://localhost:1/",
            "http://LOCALHOST./",
            "http://127.0.0.1/",
            "http://127.8.9.10/",
            "http://[::1]:8080/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(is_loopback(&url(loopback)), "{loopback} is this machine");
        }
        for remote in [
            "http://192.168.1.5/",
            "http://10.0.0.1/",
            "http://localhost.example.com/",
            "http://[::2]/",
            "http://128.0.0.1/",
        ] {
            assert!(!is_loopback(&url(remote)), "{remote} is another machine");
        }
    }

    const NO_KEY: KeyUse = KeyUse { has_key: false, allow_insecure_http: false };
    const KEY: KeyUse = KeyUse { has_key: true, allow_insecure_http: false };
    const KEY_ALLOWED: KeyUse = KeyUse { has_key: true, allow_insecure_http: true };

    #[test]
    fn a_key_goes_over_plain_http_only_to_loopback_unless_allowed() {
        let timeouts = Timeouts::default();
        let refused = client("http://192.168.1.5:11434/v1", timeouts, KEY).unwrap_err();
        assert_eq!(refused, ProviderError::InsecureHttp { host: "192.168.1.5".into() });
        assert!(refused.to_string().contains("unencrypted to 192.168.1.5"), "{refused}");

        assert!(client("http://192.168.1.5:11434/v1", timeouts, NO_KEY).is_ok(), "no key, nothing to leak");
        assert!(
            client("http://192.168.1.5:11434/v1", timeouts, KEY_ALLOWED).is_ok(),
            "the person allowed it"
        );
        assert!(
            client("http://localhost:11434/v1", timeouts, KEY).is_ok(),
            "loopback never leaves the machine"
        );
        assert!(client("https://api.example.com/v1", timeouts, KEY).is_ok(), "https is encrypted");

        let password = client("http://me:pw@192.168.1.5/v1", timeouts, NO_KEY).unwrap_err();
        assert!(
            matches!(password, ProviderError::InsecureHttp { .. }),
            "a password in the URL is a secret too: {password:?}"
        );
    }

    #[test]
    fn config_errors_do_not_show_a_password_of_the_base_url() {
        let error = client("ftp://me:hunter2@example.com/", Timeouts::default(), NO_KEY).unwrap_err();
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
}
