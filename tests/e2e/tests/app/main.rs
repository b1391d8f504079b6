//! The app end to end: each test starts the real binary in its own Xvfb display through
//! tauri-driver, against a scripted model on loopback. Tests run one at a time (see `App`).

mod approvals;
mod attachments;
mod compaction;
mod continue_run;
mod long_thread;
mod plan;
mod projects;
mod queue;
mod rules;
mod settings;
mod sidebar;
mod smoke;
mod support;
mod timeline;
mod tools;
mod untrusted;
