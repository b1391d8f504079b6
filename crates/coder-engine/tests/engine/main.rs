//! coder-engine's integration tests, on real stores in temporary directories.

mod dispatch;
mod recovery;
mod support;
mod views;
