//! Generates the Tauri context from the repository root's `tauri.conf.json`.

fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("the Tauri configuration at the repository root is valid");
}
