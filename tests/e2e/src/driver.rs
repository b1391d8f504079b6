//! tauri-driver, the WebDriver intermediary: it starts WebKitWebDriver on its native port and
//! turns `tauri:options` capabilities into WebKitGTK's. Both, and the app a session starts,
//! inherit the environment given here (`DISPLAY`, `CODER_DATA_DIR`, ...).

use std::ffi::OsString;
use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::process_group::{Group, Member};

/// How long tauri-driver and WebKitWebDriver get to answer `/status`.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// Starts tried when a port picked as free was taken before the driver bound it.
const ATTEMPTS: usize = 3;

/// A running tauri-driver (with its WebKitWebDriver); dropping it ends both and anything they
/// started.
#[derive(Debug)]
pub struct Driver {
    url: String,
    group: Group,
}

impl Driver {
    /// Starts tauri-driver on free loopback ports with `env` changed in the environment (`None`
    /// removes a variable), and waits until it and WebKitWebDriver answer. Their output (and
    /// the app's) goes to `log`.
    pub fn start(env: &[(OsString, Option<OsString>)], log: &Path) -> Self {
        let program = tauri_driver();
        let mut last_error = String::new();
        for _ in 0..ATTEMPTS {
            let (port, native_port) = (free_port(), free_port());
            let log_file = File::options()
                .create(true)
                .append(true)
                .open(log)
                .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
            let mut command = Command::new(&program);
            command
                .arg("--port")
                .arg(port.to_string())
                .arg("--native-port")
                .arg(native_port.to_string())
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("a log file handle clones"))
                .stderr(log_file);
            for (key, value) in env {
                match value {
                    Some(value) => command.env(key, value),
                    None => command.env_remove(key),
                };
            }
            let group = Group::spawn("tauri-driver", command)
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
            let mut driver = Self { url: format!("http://127.0.0.1:{port}"), group };
            match driver.wait_ready() {
                Ok(()) => return driver,
                Err(e) => last_error = e,
            }
        }
        let output = std::fs::read_to_string(log).unwrap_or_default();
        panic!("tauri-driver did not start: {last_error}\n--- its output ---\n{output}");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn group(&self) -> &Group {
        &self.group
    }

    /// The live processes sessions started: the app and WebKit's helpers, that is everything
    /// in the group but tauri-driver and its child WebKitWebDriver. (Matched by parentage, not
    /// by executable: a rebuild replaces the app's file while it runs.)
    pub fn session_processes(&self) -> Vec<Member> {
        let leader = self.group.id();
        self.group
            .members()
            .into_iter()
            .filter(|m| !m.zombie && m.pid != leader && m.ppid != leader)
            .collect()
    }

    /// The app's process: the one WebKitWebDriver started.
    pub fn app_pid(&self) -> Option<u32> {
        let leader = self.group.id();
        let members = self.group.members();
        let webdriver: Vec<u32> = members.iter().filter(|m| m.ppid == leader).map(|m| m.pid).collect();
        members.iter().find(|m| !m.zombie && webdriver.contains(&m.ppid)).map(|m| m.pid)
    }

    /// Polls `/status` (which tauri-driver forwards to WebKitWebDriver) until both answer.
    fn wait_ready(&mut self) -> Result<(), String> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            if self.group.has_exited() {
                return Err(format!("tauri-driver exited ({last})"));
            }
            match http.get(format!("{}/status", self.url)).send() {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => last = format!("/status answered {}", response.status()),
                Err(e) => last = e.to_string(),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!("no answer from /status within {READY_TIMEOUT:?}: {last}"))
    }
}

/// tauri-driver: `$TAURI_DRIVER`, else the first on `PATH`, else `~/.cargo/bin/tauri-driver`.
fn tauri_driver() -> PathBuf {
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .map(|dir| dir.join("tauri-driver"));
    let in_cargo = std::env::var_os("HOME").map(|home| Path::new(&home).join(".cargo/bin/tauri-driver"));
    on_path.chain(in_cargo).find(|path| path.is_file()).unwrap_or_else(|| {
        panic!(
            "tauri-driver not found (set TAURI_DRIVER, or put it on PATH): \
             `cargo install tauri-driver --locked`; it also needs WebKitWebDriver \
             (Debian: apt-get install webkit2gtk-driver)"
        )
    })
}

/// A loopback port nobody listens on right now. Another process may take it before the driver
/// binds it; `Driver::start` then tries again with new ports.
fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("the system has a free loopback port")
}
