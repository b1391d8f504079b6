//! Generates the Tauri context from the repository root's `tauri.conf.json`.
//!
//! The built UI (`ui/dist`) is embedded by `generate_context!`, which only runs again when this
//! crate is rebuilt; watching the folder makes a new UI build rebuild the app, never leaving a
//! stale page inside the binary.

fn main() {
    println!("cargo:rerun-if-changed=../ui/dist");
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("the Tauri configuration at the repository root is valid");
}
