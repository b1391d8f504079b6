# Coder — one entry point for every gate.
#
#   make run     set up what is missing on Debian/Ubuntu, build the UI and start the app
#   make test    formatting, lints and every test (what CI runs)
#   make bench   benchmarks (never part of make test)

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
# Build outputs live outside the clone so rebuilds stay fast between fresh clones; nothing
# depends on what is there.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/coder-target
export CARGO_TERM_COLOR ?= never

.PHONY: run test setup ui-deps ui-build ui-test fmt-check lint rust-test bench fmt

run: setup ui-build
	cargo run --release --locked -p coder-desktop

test: setup fmt-check ui-build lint rust-test ui-test

setup:
	scripts/setup-debian.sh

ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund

ui-deps: ui/node_modules/.package-lock.json

# The app embeds ui/dist, so the UI is built before anything compiles the app crate.
ui-build: ui-deps
	cd ui && npm run build

ui-test: ui-deps
	cd ui && npm test

fmt-check:
	cargo fmt --all -- --check

lint:
	cargo clippy --workspace --all-targets --locked -- -D warnings

rust-test:
	cargo test --workspace --locked

# Store and engine against SQLite (figures in docs/performance.md), then the raw replay speed of
# the chat projections.
bench:
	cargo run --release --locked -p coder-cli --bin coder -- bench
	cargo run --release --locked -p coder-domain --example replay

fmt:
	cargo fmt --all
