//! The integration tests of `roundabout-inventory`: one test binary, one module per
//! area, the helpers they share in [`support`].
//!
//! One area: `cargo xtask test -p roundabout-inventory -- fuzz::`.

// The fuzz helpers every service shares (`roundabout-support`'s tests).
#[path = "../../../support/tests/fuzzing/mod.rs"]
mod fuzzing;
mod support;

mod api;
mod fleet;
mod fuzz;
mod import;
mod openapi;
