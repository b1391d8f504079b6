//! coder-domain's integration tests: one binary, one module per area.

mod decide_projects;
mod decide_runs;
mod decide_threads;
mod fixtures;
mod plan;
mod projections;
mod properties;
mod seed_examples;
mod support;
