//! One instance owns a data directory's store. The first instance listens on a socket in the
//! data directory; a second one launched on the same directory asks it to show its window, then
//! quits, instead of failing on the store's lock.
//!
//! Invariant: neither side waits on the other for more than `EXCHANGE_TIMEOUT` per read or
//! write. Anyone who can reach the socket can connect; a client that connects and sends nothing
//! (or half a request) is dropped after the timeout, so it cannot keep later launches from being
//! served, and a second launch facing an owner that never answers gives up instead of hanging.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What claiming the data directory found.
pub enum Claim {
    /// This process owns it; the listener receives "show your window" requests.
    Owner(Option<std::os::unix::net::UnixListener>),
    /// Another instance owns it and was asked to show its window.
    Running,
}

const SOCKET: &str = "coder.sock";
const SHOW: &[u8] = b"show\n";
/// How long one read or write of the exchange may wait.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(2);

fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// Asks a running instance to show itself, or takes ownership of the data directory.
pub fn claim(data_dir: &Path) -> Claim {
    let path = socket_path(data_dir);
    if let Ok(mut running) = std::os::unix::net::UnixStream::connect(&path) {
        let bounded = running.set_read_timeout(Some(EXCHANGE_TIMEOUT)).is_ok()
            && running.set_write_timeout(Some(EXCHANGE_TIMEOUT)).is_ok();
        if bounded && running.write_all(SHOW).is_ok() {
            // Wait for the reply, so the window is shown before this process quits.
            let mut reply = [0u8; 3];
            let _ = running.read(&mut reply);
            return Claim::Running;
        }
    }
    // No one answers: a socket left by a crash, or none.
    let _ = std::fs::remove_file(&path);
    if let Err(e) = std::fs::create_dir_all(data_dir) {
        tracing::warn!(error = %e, "cannot create the data directory");
    }
    match std::os::unix::net::UnixListener::bind(&path) {
        Ok(listener) => Claim::Owner(Some(listener)),
        Err(e) => {
            // A path too long for a socket, say: the store's own lock still guards the data.
            tracing::warn!(path = %path.display(), error = %e, "single-instance socket unavailable");
            Claim::Owner(None)
        }
    }
}

/// Calls `show` for every request from a later instance, on a thread of its own.
pub fn serve(listener: std::os::unix::net::UnixListener, show: impl Fn() + Send + 'static) {
    std::thread::Builder::new()
        .name("coder-instance".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let bounded = stream.set_read_timeout(Some(EXCHANGE_TIMEOUT)).is_ok()
                    && stream.set_write_timeout(Some(EXCHANGE_TIMEOUT)).is_ok();
                if !bounded {
                    tracing::warn!("a later instance's connection cannot be given a timeout; dropped");
                    continue;
                }
                let mut request = [0u8; SHOW.len()];
                if stream.read_exact(&mut request).is_ok() && request == SHOW {
                    show();
                    let _ = stream.write_all(b"ok\n");
                }
            }
        })
        .map(drop)
        .unwrap_or_else(|e| tracing::warn!(error = %e, "cannot listen for later instances"));
}

/// Removes the socket when the owner quits.
pub fn release(data_dir: &Path) {
    let _ = std::fs::remove_file(socket_path(data_dir));
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_second_launch_asks_the_first_to_show_its_window() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::Owner(Some(listener)) = claim(dir.path()) else {
            panic!("the first launch owns the data")
        };
        let shown = Arc::new(AtomicUsize::new(0));
        let counter = shown.clone();
        serve(listener, move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        assert!(matches!(claim(dir.path()), Claim::Running), "a second launch defers to the first");
        assert_eq!(shown.load(Ordering::SeqCst), 1, "the first was asked to show its window once");
    }

    #[test]
    fn a_client_that_sends_nothing_does_not_stop_later_launches_from_being_served() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::Owner(Some(listener)) = claim(dir.path()) else {
            panic!("the first launch owns the data")
        };
        let (shown_tx, shown_rx) = std::sync::mpsc::channel();
        serve(listener, move || {
            let _test_may_be_over = shown_tx.send(());
        });
        // Connects and stays silent, holding its connection open for the whole test.
        let _silent = std::os::unix::net::UnixStream::connect(dir.path().join(SOCKET)).unwrap();
        let second = dir.path().to_path_buf();
        std::thread::spawn(move || claim(&second));
        // Far longer than the exchange timeout; without one the owner would wait for the silent
        // client forever and this would fail.
        let served = shown_rx.recv_timeout(EXCHANGE_TIMEOUT * 10);
        assert!(served.is_ok(), "the owner must drop the silent client and answer the second launch");
    }

    #[test]
    fn a_socket_left_by_a_crash_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // Bound, then dropped without removing the file: what a killed process leaves.
        drop(std::os::unix::net::UnixListener::bind(dir.path().join(SOCKET)).unwrap());
        assert!(matches!(claim(dir.path()), Claim::Owner(Some(_))), "nobody answers, so this launch owns it");
    }
}
