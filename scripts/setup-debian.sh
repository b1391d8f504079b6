#!/usr/bin/env bash
# Installs what building and testing Coder needs on Debian/Ubuntu, skipping what is there:
# the WebKitGTK stack Tauri builds against, Xvfb, xauth and WebKitWebDriver for the window
# tests, and a D-Bus session bus (`dbus-run-session`) with gnome-keyring's Secret Service for the
# API key tests. Uses sudo when not root. Safe to run again.
set -euo pipefail

packages=(
  build-essential pkg-config libssl-dev
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev libayatana-appindicator3-dev
  xvfb xauth webkit2gtk-driver
  dbus gnome-keyring
)
# The key tests start these; `dbus` brings `dbus-run-session` (package dbus-daemon) and
# `dbus-send` (dbus-bin).
programs=(dbus-run-session dbus-send gnome-keyring-daemon)
check_programs() {
  for program in "${programs[@]}"; do
    if ! command -v "$program" >/dev/null; then
      echo "$program is still missing after installing ${packages[*]}" >&2
      exit 1
    fi
  done
}
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  check_programs
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "Missing system packages: ${missing[*]}; install them with your system's package manager." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "Installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
check_programs
