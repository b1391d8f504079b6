//! Fault injection for crash tests: with `CODER_CRASH_AFTER_EVENT=N` in its environment, the
//! process kills itself with SIGKILL as soon as the store has committed event N — the way a
//! power cut or `kill -9` would stop it, at a chosen point of a run. Unset, nothing happens.

use coder_engine::Engine;

/// The variable that names the event after which the process dies.
pub const CRASH_AFTER_EVENT: &str = "CODER_CRASH_AFTER_EVENT";

/// Watches the store's commits when the variable is set.
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
