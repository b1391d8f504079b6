#!/usr/bin/env bash
# Installs what the window tests drive the app with, beyond the system packages: tauri-driver
# (2.x), which speaks WebDriver to the app through WebKitWebDriver. Safe to run again.
set -euo pipefail

if command -v tauri-driver >/dev/null && tauri-driver --help 2>&1 | grep -q -- "--native-driver"; then
  exit 0
fi
echo "Installing tauri-driver 2.x"
cargo install tauri-driver --version "^2" --locked
