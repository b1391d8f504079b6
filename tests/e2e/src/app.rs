//! `App`: the real app binary in its own X display, driven over WebDriver, on a data directory
//! of its own.
//!
//! Every `App` gets a temporary root holding `data/` (`CODER_DATA_DIR`), `xdg/` (WebKit's and
//! GTK's caches and storage, so no state leaks in from the desktop or between tests) and
//! `logs/` (the output of Xvfb, tauri-driver, WebKitWebDriver and the app; the app logs to
//! `data/logs/coder.log` itself). The root is deleted when the test passes and kept, with its
//! path printed, when it fails; a failing test also leaves `failed-TEST.png` among the
//! screenshots, and prints the tails of the logs.
//!
//! Apps run one at a time in a test binary (a global lock is held from `start` to drop): two
//! WebKit windows on two cores make timings flaky, and one at a time is fast enough.
//!
//! The methods panic instead of returning errors: they are for tests, and a panic message
//! that says what was awaited and what the page showed is what a failing test needs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use coder_agent::Settings;
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::display::Display;
use crate::driver::Driver;
use crate::model::ScriptedModel;
use crate::paths;
use crate::ui;
use crate::webdriver::{self, By, Element, Session, WebDriverError};

/// How long a wait lasts before the test fails: 20 s, or `CODER_E2E_TIMEOUT` seconds.
pub fn timeout() -> Duration {
    std::env::var("CODER_E2E_TIMEOUT")
        .ok()
        .and_then(|secs| secs.parse().ok())
        .map_or(Duration::from_secs(20), Duration::from_secs)
}

/// The pause between two looks at the page while waiting.
const POLL: Duration = Duration::from_millis(50);

/// Lines of each log printed when a test fails.
const LOG_TAIL: usize = 40;

/// The app's own log, in the data directory.
const APP_LOG: &str = "logs/coder.log";

/// Held by the one `App` that runs.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A function run on the data directory before the app first starts.
type Seed = Box<dyn FnOnce(&Path)>;

/// Sets up an `App` before it starts.
#[must_use]
pub struct AppBuilder {
    settings: Option<Settings>,
    env: Vec<(OsString, Option<OsString>)>,
    seeds: Vec<Seed>,
}

impl AppBuilder {
    /// The app's `settings.json`; without it the app uses its defaults (the offline demo).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = Some(settings);
        self
    }

    /// Points the app at a scripted model (with a dummy API key, so a real key in the
    /// environment never reaches it).
    pub fn model(self, model: &ScriptedModel) -> Self {
        self.settings(model.settings()).env("OPENAI_API_KEY", "e2e-key").env("ANTHROPIC_API_KEY", "e2e-key")
    }

    /// Sets an environment variable for the app (and the drivers that start it).
    pub fn env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), Some(value.into())));
        self
    }

    /// Runs `seed` on the data directory before the app first starts: to write a store with
    /// the engine, say, or a project folder's files.
    pub fn seed(mut self, seed: impl FnOnce(&Path) + 'static) -> Self {
        self.seeds.push(Box::new(seed));
        self
    }

    /// Starts Xvfb, tauri-driver and the app, and waits until the UI is up.
    pub fn start(self) -> App {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        let started = Instant::now();
        let test = test_name();
        let binary = paths::app_binary();
        let root = tempfile::Builder::new()
            .prefix(&format!("coder-e2e-{test}-"))
            .tempdir()
            .expect("a temporary directory can be created");
        let data_dir = root.path().join("data");
        let logs = root.path().join("logs");
        for dir in [&data_dir, &logs] {
            std::fs::create_dir_all(dir).expect("the temporary directory is writable");
        }
        if let Some(settings) = &self.settings {
            settings.save(&data_dir).expect("settings.json can be written");
        }
        for seed in self.seeds {
            seed(&data_dir);
        }

        let display = Display::start(&logs.join("xvfb.log"));
        let xdg = root.path().join("xdg");
        let mut env: Vec<(OsString, Option<OsString>)> = vec![
            ("DISPLAY".into(), Some(display.name().into())),
            ("CODER_DATA_DIR".into(), Some(data_dir.clone().into())),
            ("XDG_DATA_HOME".into(), Some(xdg.join("data").into())),
            ("XDG_CONFIG_HOME".into(), Some(xdg.join("config").into())),
            ("XDG_CACHE_HOME".into(), Some(xdg.join("cache").into())),
            // X11 only (the display is Xvfb), and no accessibility bus to wait for.
            ("GDK_BACKEND".into(), Some("x11".into())),
            ("WAYLAND_DISPLAY".into(), None),
            ("NO_AT_BRIDGE".into(), Some("1".into())),
            // No real key reaches a test; `AppBuilder::model` sets dummy ones.
            ("OPENAI_API_KEY".into(), None),
            ("ANTHROPIC_API_KEY".into(), None),
        ];
        env.extend(self.env);
        let driver = Driver::start(&env, &logs.join("app.log"));

        let mut app = App {
            session: None,
            driver: Some(driver),
            _display: Some(display),
            root: Some(root),
            data_dir,
            binary,
            test,
            _turn: turn,
        };
        app.launch();
        eprintln!("e2e: {} is up after {:.1?}", app.test, started.elapsed());
        app
    }
}

/// The running app. Dropping it closes the app and stops everything the harness started.
pub struct App {
    session: Option<Session>,
    // Dropped in this order: the drivers (and the app) before their display.
    driver: Option<Driver>,
    _display: Option<Display>,
    root: Option<TempDir>,
    data_dir: PathBuf,
    binary: PathBuf,
    test: String,
    _turn: MutexGuard<'static, ()>,
}

impl App {
    pub fn builder() -> AppBuilder {
        AppBuilder { settings: None, env: Vec::new(), seeds: Vec::new() }
    }

    /// The app with default settings (the offline demo).
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// The app talking to `model`.
    pub fn with_model(model: &ScriptedModel) -> Self {
        Self::builder().model(model).start()
    }

    /// The WebDriver session, for anything the helpers here do not cover.
    pub fn session(&self) -> &Session {
        self.session.as_ref().expect("the app is running")
    }

    /// `CODER_DATA_DIR`: the store, `settings.json`.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The temporary root (`data/`, `xdg/`, `logs/`); a good place for project folders.
    pub fn root(&self) -> &Path {
        self.root.as_ref().expect("the root lives as long as the app").path()
    }

    /// The app's process id (for measuring its memory, say).
    pub fn pid(&self) -> Option<u32> {
        self.driver.as_ref()?.app_pid()
    }

    /// What the app logged so far (`logs/coder.log` in the data directory).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join(APP_LOG)).unwrap_or_default()
    }

    /// What tauri-driver, WebKitWebDriver and the app wrote to their output so far.
    pub fn driver_log(&self) -> String {
        std::fs::read_to_string(self.root().join("logs/app.log")).unwrap_or_default()
    }

    /// Ends the app and starts it again on the same data directory.
    ///
    /// Ending a WebDriver session ends the app abruptly: WebKitWebDriver stops the process, so
    /// the app's exit handler does not run (no "Coder stopped" in its log, its `coder.sock` is
    /// left behind). To the app this restart is a crash; what it shows afterwards is what
    /// survives one.
    pub fn restart(&mut self) {
        self.restart_with(|_| {});
    }

    /// Like `restart`, running `between` on the data directory while the app is down: to check
    /// or change the store offline, edit `settings.json`, damage a file.
    pub fn restart_with(&mut self, between: impl FnOnce(&Path)) {
        let quit = self.quit();
        assert!(quit, "the app must quit when its session ends\n{}", self.log_tail());
        between(&self.data_dir);
        self.launch();
    }

    /// Starts a session, which starts the app, and waits until the UI is up.
    fn launch(&mut self) {
        let driver = self.driver.as_ref().expect("the driver runs while the app lives");
        let capabilities = json!({ "tauri:options": { "application": self.binary } });
        let session = Session::start(driver.url(), capabilities).unwrap_or_else(|e| {
            panic!("the app did not start: {e}\n{}", self.log_tail());
        });
        self.session = Some(session);
        self.wait_for("the UI to be up", |s| Ok(ui::is_ready(s)?.then_some(())));
    }

    /// Ends the session and waits until the app and its WebKit processes are gone; kills them
    /// after the timeout. Whether they quit by themselves.
    fn quit(&mut self) -> bool {
        let Some(session) = self.session.take() else { return true };
        if let Err(e) = session.delete() {
            eprintln!("e2e: ending the session failed: {e}");
        }
        let Some(driver) = &self.driver else { return true };
        let deadline = Instant::now() + timeout();
        loop {
            driver.group().reap();
            let running = driver.session_processes();
            if running.is_empty() {
                return true;
            }
            if Instant::now() > deadline {
                for process in running {
                    eprintln!("e2e: {process:?} did not quit within {:?}; killing it", timeout());
                    driver.group().kill(process.pid);
                }
                return false;
            }
            std::thread::sleep(POLL);
        }
    }

    // ---- waiting -------------------------------------------------------------------------

    /// Polls `probe` until it returns `Some`, and returns that. Errors that may pass (an
    /// element not there yet, or re-rendered) count as `None`; others end the wait at once.
    /// After `timeout()` the test fails with `what`, the last error and the page's text.
    pub fn wait_for<'a, T>(
        &'a self,
        what: &str,
        mut probe: impl FnMut(&'a Session) -> webdriver::Result<Option<T>>,
    ) -> T {
        self.wait_for_state(what, |s| Ok(probe(s)?.ok_or_else(String::new)))
    }

    /// Like `wait_for`, but while waiting `probe` returns `Err(what it sees)`, and the failure
    /// message shows the last of those.
    pub fn wait_for_state<'a, T>(
        &'a self,
        what: &str,
        mut probe: impl FnMut(&'a Session) -> webdriver::Result<Result<T, String>>,
    ) -> T {
        let session = self.session();
        let deadline = Instant::now() + timeout();
        let mut last_error: Option<WebDriverError> = None;
        let mut last_state = String::new();
        loop {
            match probe(session) {
                Ok(Ok(value)) => return value,
                Ok(Err(state)) => last_state = state,
                Err(e) if e.is_transient() => last_error = Some(e),
                Err(e) => panic!("while waiting for {what}: {e}\n{}", self.log_tail()),
            }
            if Instant::now() > deadline {
                let error = last_error.map(|e| format!("\nlast error: {e}")).unwrap_or_default();
                let state =
                    if last_state.is_empty() { String::new() } else { format!("\nlast seen: {last_state}") };
                panic!(
                    "timed out after {:?} waiting for {what}{state}{error}\n--- the page's text ---\n{}",
                    timeout(),
                    self.visible_text()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until `check` holds.
    pub fn wait_until(&self, what: &str, mut check: impl FnMut(&Session) -> webdriver::Result<bool>) {
        self.wait_for(what, |s| Ok(check(s)?.then_some(())));
    }

    /// Waits until the page's visible text contains `text`.
    pub fn wait_text(&self, text: &str) {
        self.wait_until(&format!("the text {text:?}"), |s| Ok(page_text(s)?.contains(text)));
    }

    /// Waits until nothing matches `by`.
    pub fn wait_gone(&self, by: &By) {
        self.wait_until(&format!("{by} to be gone"), |s| Ok(s.find_all(by)?.is_empty()));
    }

    /// Waits until exactly `count` elements match `by`, and returns them.
    pub fn wait_count(&self, by: &By, count: usize) -> Vec<Element<'_>> {
        self.wait_for(&format!("{count} of {by}"), |s| {
            let found = s.find_all(by)?;
            Ok((found.len() == count).then_some(found))
        })
    }

    // ---- finding and acting --------------------------------------------------------------

    /// Waits for the first element matching `by`.
    pub fn find(&self, by: &By) -> Element<'_> {
        self.wait_for(&by.to_string(), |s| s.try_find(by))
    }

    /// The first element matching `by` now, if any.
    pub fn try_find(&self, by: &By) -> Option<Element<'_>> {
        self.session().try_find(by).unwrap_or_else(|e| panic!("finding {by}: {e}"))
    }

    /// Every element matching `by` now.
    pub fn find_all(&self, by: &By) -> Vec<Element<'_>> {
        self.session().find_all(by).unwrap_or_else(|e| panic!("finding {by}: {e}"))
    }

    /// Waits until the element matching `by` can be clicked, and clicks it (found afresh on
    /// every try, so a re-render in between does no harm).
    pub fn click(&self, by: &By) {
        self.wait_for(&format!("{by} to be clickable"), |s| s.find(by)?.click().map(Some));
    }

    /// Waits for the element matching `by` and types `text` into it (`webdriver::keys` for
    /// Enter and friends).
    pub fn type_into(&self, by: &By, text: &str) {
        self.wait_for(&format!("{by} to take input"), |s| s.find(by)?.send_keys(text).map(Some));
    }

    /// Waits for the element matching `by` and returns its rendered text.
    pub fn text_of(&self, by: &By) -> String {
        self.wait_for(&by.to_string(), |s| s.find(by)?.text().map(Some))
    }

    /// The page's visible text (`document.body.innerText`); what a failing wait prints.
    pub fn visible_text(&self) -> String {
        match &self.session {
            Some(session) => page_text(session).unwrap_or_else(|e| format!("(cannot read the page: {e})")),
            None => "(the app is not running)".into(),
        }
    }

    /// Runs `script` in the page (`arguments[i]` are `args`) and returns its value.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.session().execute(script, args).unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs `script` with a callback as its last argument and returns what it passes to it.
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.session().execute_async(script, args).unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Calls a Tauri command the way the UI does: `Ok(value)` or `Err({code, message})`. For
    /// setting up what the UI cannot reach (a native folder dialog, say), never for the
    /// behaviour under test.
    pub fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let outcome = self.execute_async(
            "const [command, args, done] = arguments;
             window.__TAURI_INTERNALS__.invoke(command, args).then(
               (value) => done({ ok: value === undefined ? null : value }),
               (error) => done({ err: error === undefined ? null : error }));",
            vec![json!(command), args],
        );
        match outcome {
            Value::Object(mut map) if map.contains_key("ok") => Ok(map.remove("ok").unwrap_or_default()),
            Value::Object(mut map) => Err(map.remove("err").unwrap_or_default()),
            other => panic!("invoke {command}: unexpected answer {other}"),
        }
    }

    /// Resizes the window (the screen is 1280×860).
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.session().set_window_size(width, height).unwrap_or_else(|e| panic!("resizing the window: {e}"));
    }

    // ---- screenshots ---------------------------------------------------------------------

    /// Saves the window as `TARGET/e2e-screenshots/NAME.png` (and as `docs/NAME.png` when
    /// `CODER_DOCS_SCREENSHOTS=1`, to refresh the README's pictures). Returns the first path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        // WebKit may hand out the last frame it painted, from before the latest change: let two
        // frames pass and the compositor catch up first.
        let settled = "const done = arguments[arguments.length - 1]; \
            requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 250)));";
        let _ = self.session().execute_async(settled, Vec::new());
        let png = self.session().screenshot().unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        let path = save_png(&paths::screenshot_dir(), name, &png);
        if paths::docs_screenshots() {
            save_png(&paths::repo_root().join("docs"), name, &png);
        }
        path
    }

    /// The last lines of the drivers' output and of the app's own log, for failure messages.
    fn log_tail(&self) -> String {
        let tail = |path: &Path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(LOG_TAIL)..].join("\n");
            format!("--- {} (last {LOG_TAIL} lines) ---\n{tail}\n", path.display())
        };
        let Some(root) = &self.root else { return String::new() };
        tail(&root.path().join("logs/app.log")) + &tail(&self.data_dir.join(APP_LOG))
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let failed = std::thread::panicking();
        if failed {
            if let Some(png) = self.session.as_ref().and_then(|s| s.screenshot().ok()) {
                let path = save_png(&paths::screenshot_dir(), &format!("failed-{}", self.test), &png);
                eprintln!("e2e: the window when {} failed: {}", self.test, path.display());
            }
            eprintln!("{}", self.log_tail());
        }
        self.quit();
        self.driver.take();
        self._display.take();
        if let Some(root) = self.root.take() {
            if failed {
                eprintln!("e2e: kept the data of {} in {}", self.test, root.keep().display());
            }
        }
    }
}

fn page_text(session: &Session) -> webdriver::Result<String> {
    let value = session.execute("return document.body ? document.body.innerText : '';", Vec::new())?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

fn save_png(dir: &Path, name: &str, png: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    path
}

/// The running test's name (libtest names its threads after tests), as a file-name part.
fn test_name() -> String {
    let thread = std::thread::current();
    let name = thread.name().filter(|n| *n != "main").unwrap_or("app");
    name.rsplit("::")
        .next()
        .unwrap_or(name)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect()
}
