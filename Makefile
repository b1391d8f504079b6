# Coder — one entry point for every gate.
#
#   make run       set up what is missing on Debian/Ubuntu, build the UI and start the app
#   make test      formatting, lints and every test, window tests included (what CI runs)
#   make dev       the app on the Vite dev server, with hot reload for UI work
#   make bench     benchmarks (never part of make test)
#   make bindings  regenerate ui/src/generated/ from the Rust types

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
# Build outputs live outside the clone so rebuilds stay fast between fresh clones; nothing
# depends on what is there.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/coder-target
export CARGO_TERM_COLOR ?= never

.PHONY: run dev test setup test-tools ui-deps ui-build ui-check ui-test fmt-check lint app-build rust-test \
	bench fmt bindings

run: setup ui-build
	cargo run --release --locked -p coder-desktop

# The UI is served by Vite with hot reload; the app is built without the embedded UI so it
# loads the dev server's page (tauri.conf.json's devUrl).
dev: setup ui-deps
	(cd ui && exec node_modules/.bin/vite --port 5173 --strictPort) & vite=$$!; \
	trap 'kill $$vite 2>/dev/null' EXIT INT TERM; \
	cargo run --locked -p coder-desktop --no-default-features

test: setup test-tools fmt-check ui-check ui-build lint app-build rust-test ui-test

setup:
	scripts/setup-debian.sh

test-tools:
	scripts/setup-test-tools.sh

ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

ui-deps: ui/node_modules/.package-lock.json

# The app embeds ui/dist, so the UI is built before anything compiles the app crate.
ui-build: ui-deps
	cd ui && npm run build

ui-test: ui-deps
	cd ui && npm test

# Types, lints (no import cycles) and formatting of the UI.
ui-check: ui-deps
	cd ui && npm run check && npm run lint && npm run format:check

fmt-check:
	cargo fmt --all -- --check

# The crash tests kill `coder` at chosen events: its fault injection is built in for tests only.
TEST_FEATURES := --features coder-cli/fault-injection

lint:
	cargo clippy --workspace --all-targets --locked $(TEST_FEATURES) -- -D warnings

# The window tests (tests/e2e) drive this binary; the binding test checks ui/src/generated/.
app-build: ui-build
	cargo build --locked -p coder-desktop

rust-test: app-build
	CODER_APP=$(CARGO_TARGET_DIR)/debug/coder-desktop cargo test --workspace --locked $(TEST_FEATURES)

bindings:
	CODER_WRITE_BINDINGS=1 cargo test --locked -p coder-desktop bindings

# Store and engine against SQLite (figures in docs/performance.md), then the raw replay speed of
# the chat projections, then the reliability figures of docs/reliability.md on the release build
# (crash points, damaged stores, memory under an output flood), then the desktop app's UI in a
# real window under Xvfb (release build).
bench: ui-build
	cargo run --release --locked -p coder-cli --bin coder -- bench
	cargo run --release --locked -p coder-domain --example replay
	cargo test --release --locked -p coder-cli --features fault-injection --test cli -- crash_matrix flood --nocapture
	cargo test --release --locked -p coder-store --test store damage -- --nocapture
	cargo build --release --locked -p coder-desktop
	CODER_APP=$(CARGO_TARGET_DIR)/release/coder-desktop cargo run --release --locked -p coder-e2e --bin ui_bench

fmt:
	cargo fmt --all
