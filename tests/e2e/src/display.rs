//! A private X display: one Xvfb per app, so tests never share a screen or collide on a
//! display number.

use std::fs::File;
use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::process_group::Group;

/// The virtual screen: a little larger than the app's default window (1200×800).
pub const SCREEN: &str = "1280x860x24";

/// A running Xvfb; dropping it stops the server.
#[derive(Debug)]
pub struct Display {
    /// `:N`, for `DISPLAY`.
    name: String,
    _server: Group,
}

impl Display {
    /// Starts Xvfb on the first free display number. `-displayfd 1` makes Xvfb pick the number
    /// itself and write it to its standard output once it accepts connections, so there is no
    /// guessing and no race with other servers. Xvfb's messages go to `log`.
    pub fn start(log: &Path) -> Self {
        let log_file = File::create(log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let mut command = Command::new("Xvfb");
        command
            .args(["-displayfd", "1", "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        let mut server = Group::spawn("Xvfb", command)
            .unwrap_or_else(|e| panic!("cannot start Xvfb ({e}); install it (Debian: apt-get install xvfb)"));
        let stdout = server.child_mut().stdout.take().expect("Xvfb's stdout is piped");
        let mut line = String::new();
        // Blocks until Xvfb is ready; Xvfb exiting closes the pipe, which ends the read.
        let read = BufReader::new(stdout).read_line(&mut line);
        let number = line.trim();
        if read.is_err() || number.is_empty() {
            let errors = std::fs::read_to_string(log).unwrap_or_default();
            panic!("Xvfb did not report a display number:\n{errors}");
        }
        Self { name: format!(":{number}"), _server: server }
    }

    /// The value for `DISPLAY`.
    pub fn name(&self) -> &str {
        &self.name
    }
}
