//! A one-line progress bar on standard error, shown only when it is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Progress {
    label: &'static str,
    enabled: bool,
    last: Option<Instant>,
}

impl Progress {
    pub fn new(label: &'static str) -> Self {
        Self { label, enabled: std::io::stderr().is_terminal(), last: None }
    }

    /// Shows `done` of `total`, at most ten times a second.
    pub fn update(&mut self, done: u64, total: u64) {
        if !self.enabled
            || self.last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && done < total
        {
            return;
        }
        self.last = Some(Instant::now());
        let width = 30;
        let filled = (done.min(total) * width as u64).checked_div(total).map_or(width, |f| f as usize);
        let bar: String = "#".repeat(filled) + &"-".repeat(width - filled);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{} [{bar}] {done}/{total}", self.label);
        if done >= total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}
