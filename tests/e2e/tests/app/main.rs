//! The app end to end: each test starts the real binary in its own Xvfb display through
//! tauri-driver, against a scripted model on loopback. Tests run one at a time (see `App`).

mod smoke;
