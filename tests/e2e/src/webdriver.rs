//! A minimal W3C WebDriver client: exactly the endpoints the end-to-end tests use, over blocking
//! HTTP. Every call returns a `Result`; the waiting, panicking conveniences live in `App`.
//!
//! An `Element` borrows its `Session`, so an element cannot outlive the session (and the app
//! window) it was found in: after `App::restart` the compiler rejects old elements.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

/// The key W3C WebDriver uses for an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one HTTP exchange with the driver may take. Generous: an async script may wait for
/// the page.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

/// How long starting a session (and with it the app) may take. WebKitWebDriver never answers
/// when the app exits before its window connects, so this is what such a failure costs.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// Keys for `send_keys`, as the W3C specification encodes them (Private Use Area code points).
/// A modifier stays pressed until `NULL` or the end of the text: Shift+Enter is
/// `format!("{SHIFT}{ENTER}{NULL}")`.
pub mod keys {
    pub const NULL: char = '\u{E000}';
    pub const BACKSPACE: char = '\u{E003}';
    pub const TAB: char = '\u{E004}';
    pub const ENTER: char = '\u{E007}';
    pub const SHIFT: char = '\u{E008}';
    pub const CONTROL: char = '\u{E009}';
    pub const ALT: char = '\u{E00A}';
    pub const ESCAPE: char = '\u{E00C}';
    pub const PAGE_UP: char = '\u{E00E}';
    pub const PAGE_DOWN: char = '\u{E00F}';
    pub const END: char = '\u{E010}';
    pub const HOME: char = '\u{E011}';
    pub const ARROW_UP: char = '\u{E013}';
    pub const ARROW_DOWN: char = '\u{E015}';
    pub const DELETE: char = '\u{E017}';
}

/// A WebDriver call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebDriverError {
    /// The driver could not be reached, or the exchange broke off.
    #[error("cannot reach the WebDriver server: {0}")]
    Http(#[from] reqwest::Error),
    /// The driver answered with a W3C error (`error` is its code, such as `no such element`).
    #[error("WebDriver error `{error}` (HTTP {status}): {message}")]
    Remote { status: u16, error: String, message: String },
    /// The driver answered something this client does not understand.
    #[error("unexpected WebDriver answer: {0}")]
    Protocol(String),
}

impl WebDriverError {
    /// The W3C error code, when the driver sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Remote { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Whether asking again may succeed: the element is not there yet, or was re-rendered.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.code(),
            Some(
                "no such element"
                    | "stale element reference"
                    | "element not interactable"
                    | "element click intercepted"
            )
        )
    }

    /// Whether the session is gone (the app quit or crashed), so waiting longer is pointless.
    pub fn is_fatal(&self) -> bool {
        matches!(self, Self::Http(_)) || matches!(self.code(), Some("invalid session id"))
    }
}

pub type Result<T, E = WebDriverError> = std::result::Result<T, E>;

/// How to find elements.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum By {
    Css(String),
    XPath(String),
}

impl By {
    pub fn css(selector: impl Into<String>) -> Self {
        Self::Css(selector.into())
    }

    pub fn xpath(expression: impl Into<String>) -> Self {
        Self::XPath(expression.into())
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Css(selector) => json!({ "using": "css selector", "value": selector }),
            Self::XPath(expression) => json!({ "using": "xpath", "value": expression }),
        }
    }
}

impl fmt::Display for By {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Css(selector) => write!(f, "css `{selector}`"),
            Self::XPath(expression) => write!(f, "xpath `{expression}`"),
        }
    }
}

/// A position and size in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    fn from_json(value: &Value) -> Result<Self> {
        let number = |key: &str| {
            value[key]
                .as_f64()
                .ok_or_else(|| WebDriverError::Protocol(format!("a rect without {key}: {value}")))
        };
        Ok(Self { x: number("x")?, y: number("y")?, width: number("width")?, height: number("height")? })
    }
}

/// One WebDriver session: one run of the app, one window.
#[derive(Debug)]
pub struct Session {
    http: reqwest::blocking::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    url: String,
    id: String,
}

impl Session {
    /// Starts a session (which starts the app) at the driver at `server`
    /// (`http://127.0.0.1:PORT`) with these capabilities (`alwaysMatch`).
    pub fn start(server: &str, capabilities: Value) -> Result<Self> {
        let http = reqwest::blocking::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
        let body = json!({ "capabilities": { "alwaysMatch": capabilities } });
        let value = send(http.post(format!("{server}/session")).timeout(START_TIMEOUT).json(&body))?;
        let id = value["sessionId"]
            .as_str()
            .ok_or_else(|| WebDriverError::Protocol(format!("a new session without an id: {value}")))?
            .to_owned();
        Ok(Self { http, url: format!("{server}/session/{id}"), id })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Ends the session; the driver closes the app.
    pub fn delete(self) -> Result<()> {
        send(self.http.delete(&self.url)).map(drop)
    }

    /// The first element that matches; `no such element` when none does.
    pub fn find(&self, by: &By) -> Result<Element<'_>> {
        let value = self.post("/element", by.to_json())?;
        self.element(&value)
    }

    /// The first element that matches, or `None`.
    pub fn try_find(&self, by: &By) -> Result<Option<Element<'_>>> {
        match self.find(by) {
            Ok(element) => Ok(Some(element)),
            Err(e) if e.code() == Some("no such element") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every element that matches, in document order (none is not an error).
    pub fn find_all(&self, by: &By) -> Result<Vec<Element<'_>>> {
        let value = self.post("/elements", by.to_json())?;
        self.elements(&value)
    }

    /// The element that has the focus.
    pub fn active_element(&self) -> Result<Element<'_>> {
        let value = self.get("/element/active")?;
        self.element(&value)
    }

    /// Runs `script` as the body of a function called with `args`; its return value as JSON
    /// (elements come back as element references: see `Session::element`).
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Like `execute`, but the script gets a callback as its last argument and the value is what
    /// it passes to it (for promises: `promise.then(arguments[arguments.length - 1])`).
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// The viewport as a PNG.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        decode_png(&self.get("/screenshot")?)
    }

    pub fn title(&self) -> Result<String> {
        string(self.get("/title")?)
    }

    /// The page's HTML as it is now.
    pub fn source(&self) -> Result<String> {
        string(self.get("/source")?)
    }

    pub fn window_rect(&self) -> Result<Rect> {
        Rect::from_json(&self.get("/window/rect")?)
    }

    /// Moves and resizes the window; returns where it ended up.
    pub fn set_window_size(&self, width: u32, height: u32) -> Result<Rect> {
        Rect::from_json(&self.post("/window/rect", json!({ "width": width, "height": height }))?)
    }

    /// An element reference returned by a script (or by a find), as an `Element`.
    pub fn element(&self, value: &Value) -> Result<Element<'_>> {
        let id = value[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| WebDriverError::Protocol(format!("not an element reference: {value}")))?;
        Ok(Element { session: self, id: id.to_owned() })
    }

    fn elements(&self, value: &Value) -> Result<Vec<Element<'_>>> {
        let list = value
            .as_array()
            .ok_or_else(|| WebDriverError::Protocol(format!("not an element list: {value}")))?;
        list.iter().map(|v| self.element(v)).collect()
    }

    fn get(&self, path: &str) -> Result<Value> {
        send(self.http.get(format!("{}{path}", self.url)))
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        send(self.http.post(format!("{}{path}", self.url)).json(&body))
    }
}

/// An element of the page, valid while its session lasts and the page keeps the node (a React
/// re-render can replace it: then calls fail with `stale element reference`).
#[derive(Debug, Clone)]
pub struct Element<'s> {
    session: &'s Session,
    id: String,
}

impl<'s> Element<'s> {
    /// This element as a script argument.
    pub fn to_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    pub fn click(&self) -> Result<()> {
        self.post("/click", json!({})).map(drop)
    }

    /// Focuses the element and types `text` (with `keys::*` for special keys).
    pub fn send_keys(&self, text: &str) -> Result<()> {
        self.post("/value", json!({ "text": text })).map(drop)
    }

    /// Empties an input or textarea.
    pub fn clear(&self) -> Result<()> {
        self.post("/clear", json!({})).map(drop)
    }

    /// The rendered text, as a person would read it.
    pub fn text(&self) -> Result<String> {
        string(self.get("/text")?)
    }

    /// An HTML attribute, `None` when the element does not have it.
    pub fn attribute(&self, name: &str) -> Result<Option<String>> {
        let value = self.get(&format!("/attribute/{name}"))?;
        Ok(value.as_str().map(str::to_owned))
    }

    /// A DOM property (`value`, `checked`, `scrollTop`, ...).
    pub fn property(&self, name: &str) -> Result<Value> {
        self.get(&format!("/property/{name}"))
    }

    pub fn is_displayed(&self) -> Result<bool> {
        let value = self.get("/displayed")?;
        value.as_bool().ok_or_else(|| WebDriverError::Protocol(format!("not a boolean: {value}")))
    }

    pub fn is_enabled(&self) -> Result<bool> {
        let value = self.get("/enabled")?;
        value.as_bool().ok_or_else(|| WebDriverError::Protocol(format!("not a boolean: {value}")))
    }

    pub fn rect(&self) -> Result<Rect> {
        Rect::from_json(&self.get("/rect")?)
    }

    /// Just this element, as a PNG.
    pub fn screenshot(&self) -> Result<Vec<u8>> {
        decode_png(&self.get("/screenshot")?)
    }

    /// The first matching descendant.
    pub fn find(&self, by: &By) -> Result<Element<'s>> {
        let value = self.post("/element", by.to_json())?;
        self.session.element(&value)
    }

    /// Every matching descendant.
    pub fn find_all(&self, by: &By) -> Result<Vec<Element<'s>>> {
        let value = self.post("/elements", by.to_json())?;
        self.session.elements(&value)
    }

    fn get(&self, path: &str) -> Result<Value> {
        self.session.get(&format!("/element/{}{path}", self.id))
    }

    fn post(&self, path: &str, body: Value) -> Result<Value> {
        self.session.post(&format!("/element/{}{path}", self.id), body)
    }
}

/// Sends a request and unwraps W3C's `{"value": ...}`, turning error answers into `Remote`.
fn send(request: reqwest::blocking::RequestBuilder) -> Result<Value> {
    let response = request.send()?;
    let status = response.status();
    let body: Value = response.json()?;
    let value = body.get("value").cloned().unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    Err(WebDriverError::Remote {
        status: status.as_u16(),
        error: value["error"].as_str().unwrap_or("unknown error").to_owned(),
        message: value["message"].as_str().unwrap_or_default().to_owned(),
    })
}

fn string(value: Value) -> Result<String> {
    match value {
        Value::String(text) => Ok(text),
        other => Err(WebDriverError::Protocol(format!("not a string: {other}"))),
    }
}

fn decode_png(value: &Value) -> Result<Vec<u8>> {
    let text =
        value.as_str().ok_or_else(|| WebDriverError::Protocol("a screenshot that is not text".into()))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| WebDriverError::Protocol(format!("a screenshot that is not base64: {e}")))
}
