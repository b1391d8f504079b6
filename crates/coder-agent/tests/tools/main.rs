//! The agent's tools on real temp project folders and real child processes.

mod confinement;
mod edit_file;
mod list_files;
mod project;
mod read_file;
mod registry;
mod run_command;
mod search;
mod write_file;
