//! A private Secret Service for tests: a new D-Bus session bus (`dbus-run-session`) with
//! `gnome-keyring-daemon` on it, its login keyring created and unlocked, its files in a
//! temporary home — so a developer's own keyring is never touched.
//!
//! The bus address exists only in the environment of the processes started here; a test never
//! changes its own environment, which other tests read at the same time. Nothing started here
//! outlives the command: the script kills the keyring daemon by its pid once the command ends,
//! and `dbus-run-session` then stops its bus.
//!
//! The programs come from the Debian packages `dbus` and `gnome-keyring`, which
//! `scripts/setup-debian.sh` installs.
//!
//! (Also used by `coder-cli`'s tests, which include this file by path.)

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Starts the keyring daemon, waits until it owns `org.freedesktop.secrets`, runs the command
/// (`$@`, bounded by `timeout`), then stops the daemon and exits with the command's status.
/// Exit 97: the daemon is not installed; 98: it did not come up.
const WITH_KEYRING: &str = r#"
command -v gnome-keyring-daemon >/dev/null || { echo "gnome-keyring-daemon is not installed" >&2; exit 97; }
printf 'test-keyring-password' | gnome-keyring-daemon --foreground --components=secrets --unlock \
    >"$HOME/keyring-daemon.log" 2>&1 &
daemon=$!
tries=0
until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetNameOwner string:org.freedesktop.secrets >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 200 ]; then
        echo "the keyring daemon did not come up:" >&2; cat "$HOME/keyring-daemon.log" >&2
        kill "$daemon" 2>/dev/null; wait "$daemon" 2>/dev/null; exit 98
    fi
    sleep 0.05
done
timeout 300 "$@"
status=$?
kill "$daemon" 2>/dev/null
wait "$daemon" 2>/dev/null
exit "$status"
"#;

/// The variables that would let a key or a bus in from the test's own environment.
const WITHHELD: [&str; 3] = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DBUS_SESSION_BUS_ADDRESS"];

/// A temporary home for one test: HOME and the XDG directories point into it.
pub struct PrivateHome {
    dir: tempfile::TempDir,
}

impl PrivateHome {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let home = Self { dir };
        // The keyring daemon wants a runtime directory private to its owner.
        let runtime = home.runtime_dir();
        std::fs::create_dir_all(&runtime).unwrap();
        std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        home
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn runtime_dir(&self) -> PathBuf {
        self.path().join("run")
    }

    /// `program args…` with this home, without key variables and without a session bus:
    /// no keyring is reachable.
    pub fn command<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> Command {
        let mut command = Command::new(program);
        command.args(args);
        self.isolate(&mut command);
        // A bus address where nothing listens, so no system default is tried either.
        command
            .env("DBUS_SESSION_BUS_ADDRESS", format!("unix:path={}", self.path().join("no-bus").display()));
        command
    }

    /// `program args…` with this home, on a new session bus with an unlocked keyring.
    pub fn with_keyring<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> Command {
        let mut command = Command::new("dbus-run-session");
        command.args(["--", "sh", "-c", WITH_KEYRING, "sh"]).arg(program).args(args);
        self.isolate(&mut command);
        command
    }

    fn isolate(&self, command: &mut Command) {
        for variable in WITHHELD {
            command.env_remove(variable);
        }
        command
            .env("HOME", self.path())
            .env("XDG_DATA_HOME", self.path().join("data"))
            .env("XDG_CONFIG_HOME", self.path().join("config"))
            .env("XDG_CACHE_HOME", self.path().join("cache"))
            .env("XDG_RUNTIME_DIR", self.runtime_dir());
    }

    /// Every file under this home, as paths relative to it.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().to_path_buf());
                }
            }
        }
        let mut out = Vec::new();
        walk(self.path(), self.path(), &mut out);
        out
    }

    /// The files under this home whose bytes contain `secret`.
    pub fn files_holding(&self, secret: &str) -> Vec<PathBuf> {
        self.files()
            .into_iter()
            .filter(|file| {
                let bytes = std::fs::read(self.path().join(file)).unwrap_or_default();
                bytes.windows(secret.len()).any(|window| window == secret.as_bytes())
            })
            .collect()
    }
}

/// Panics with the process's output unless it succeeded; the output otherwise.
pub fn succeeded(what: &str, out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.code() != Some(97) && out.status.code() != Some(98),
        "{what}: no Secret Service for the test (install dbus and gnome-keyring: scripts/setup-debian.sh):\n{stderr}"
    );
    assert!(out.status.success(), "{what} failed:\n{stdout}\n{stderr}");
    stdout
}
