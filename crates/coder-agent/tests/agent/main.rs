//! The run loop end to end: the engine on a real store, the real providers over real HTTP
//! against the loopback script server, real project folders and real processes.

mod cancel;
mod compaction;
mod continue_run;
mod faults;
mod files;
mod once;
mod plan;
mod restart;
mod rules;
mod runs;
mod secrets;
mod support;
mod watcher;
