//! `AppliedCursor`: the last sequence the engine has applied to its projections, and a way to
//! wait for it from both async and blocking code.

use std::sync::{Condvar, Mutex};

use tokio::sync::Notify;

#[derive(Default)]
pub(crate) struct AppliedCursor {
    state: Mutex<(u64, bool)>,
    changed: Condvar,
    notify: Notify,
}

impl AppliedCursor {
    pub fn new(sequence: u64) -> Self {
        Self { state: Mutex::new((sequence, false)), ..Default::default() }
    }

    pub fn get(&self) -> u64 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    pub fn advance(&self, sequence: u64) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0 = sequence;
        self.changed.notify_all();
        self.notify.notify_waiters();
    }

    /// Wakes every waiter for good: the applier has stopped.
    pub fn stop(&self) {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.changed.notify_all();
        self.notify.notify_waiters();
    }

    /// Waits until `sequence` is applied; `false` if the applier stopped first.
    pub fn wait_blocking(&self, sequence: u64) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while state.0 < sequence && !state.1 {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state.0 >= sequence
    }

    /// Async `wait_blocking`.
    pub async fn wait(&self, sequence: u64) -> bool {
        loop {
            let notified = self.notify.notified();
            {
                let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                if state.0 >= sequence {
                    return true;
                }
                if state.1 {
                    return false;
                }
            }
            notified.await;
        }
    }
}
