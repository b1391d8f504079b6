//! End-to-end tests for Coder: the real app binary, in a real window on a private Xvfb display,
//! driven through `tauri-driver` and `WebKitWebDriver`, talking to a scripted model server on
//! loopback.
//!
//! - `webdriver`: a minimal W3C WebDriver client (sessions, elements, scripts, screenshots).
//! - `app`: `App`, the harness: a data directory, Xvfb, tauri-driver and the app per test;
//!   restart on the same data; waits that poll and fail with what the page showed.
//! - `model`: `ScriptedModel`, the scripted OpenAI-compatible server, and turn helpers.
//! - `ui`: every selector and UI action, in one place.
//! - `a11y`: axe-core's WCAG AA rules, run in the window.
//! - `display`, `driver`, `process_group`, `paths`: the processes and files behind `App`.
//!
//! The tests live in `tests/app/`. They need the app built (`cd ui && npm run build`, then
//! `cargo build -p coder-desktop`), `Xvfb`, `WebKitWebDriver` and `tauri-driver`.

pub mod a11y;
pub mod app;
pub mod bench;
pub mod display;
pub mod driver;
pub mod model;
pub mod paths;
pub mod process_group;
pub mod ui;
pub mod webdriver;

pub use app::{App, AppBuilder};
pub use model::ScriptedModel;
pub use webdriver::{keys, By, Element, Session, WebDriverError};
