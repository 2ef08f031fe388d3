//! Running Roundabout on one machine, with the standard library only.
//!
//! Shared by `roundabout up` (through `roundabout-support`), the test
//! harness and `cargo xtask`, which depends on this crate alone so that it
//! builds in seconds.

pub mod pg_cluster;
pub mod ports;
pub mod web_assets;
