//! Integration tests of the event store, each on a real redb file in a temporary directory.

mod append;
mod blobs;
mod concurrency;
mod crash;
mod damage;
mod disk_full;
mod encoding;
mod export;
mod fixture;
mod idempotency;
mod import;
mod reads;
mod snapshots;
mod stats;
mod subscription;
mod support;
mod upgrade;
mod verify;
