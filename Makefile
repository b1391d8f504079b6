# Coder — one entry point for every gate.
#
#   make test    formatting, lints and every test (what CI runs)
#   make bench   benchmarks (never part of make test)

SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
# Build outputs live outside the clone so rebuilds stay fast between fresh clones; nothing
# depends on what is there.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/coder-target
export CARGO_TERM_COLOR ?= never

.PHONY: test fmt-check lint rust-test bench fmt

test: fmt-check lint rust-test

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
