// Shapes that cross the IPC boundary: generated from the Rust types (src/generated/, by
// `make bindings`; a test fails when they are stale). Import them from here.
export type * from "../generated";
