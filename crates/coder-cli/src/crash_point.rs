//! Fault injection for crash tests: built with the `fault-injection` feature and run with
//! `CODER_CRASH_AFTER_EVENT=N` in its environment, the process kills itself with SIGKILL as soon
//! as the store has committed event N — the way a power cut or `kill -9` would stop it, at a
//! chosen point of a run. Without the feature (the binary people run) this does nothing.

use coder_engine::Engine;

/// The variable that names the event after which the process dies.
#[cfg(feature = "fault-injection")]
const CRASH_AFTER_EVENT: &str = "CODER_CRASH_AFTER_EVENT";

/// Watches the store's commits when the variable is set.
#[cfg(feature = "fault-injection")]
pub fn arm(engine: &Engine) {
    let Some(target) = std::env::var(CRASH_AFTER_EVENT).ok().and_then(|v| v.parse::<u64>().ok()) else {
        return;
    };
    let mut events = engine.store().subscribe(1);
    std::thread::spawn(move || {
        while let Ok(Some(event)) = events.blocking_recv() {
            if event.sequence >= target {
                let _ =
                    rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::KILL);
            }
        }
    });
}

/// Without the feature, nothing is armed.
#[cfg(not(feature = "fault-injection"))]
pub fn arm(_engine: &Engine) {}
