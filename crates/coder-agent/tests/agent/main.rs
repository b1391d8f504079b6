//! The run loop end to end: the engine on a real store, the real providers over real HTTP
//! against the loopback script server, real project folders and real processes.

mod cancel;
mod faults;
mod files;
mod once;
mod restart;
mod runs;
mod secrets;
mod support;
mod watcher;
