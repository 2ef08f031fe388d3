//! The integration tests of `roundabout-eligibility`: one test binary, one module per
//! area.
//!
//! One area: `cargo xtask test -p roundabout-eligibility -- fuzz::`.

// The fuzz helpers every service shares (`roundabout-support`'s tests).
#[path = "../../../support/tests/fuzzing/mod.rs"]
mod fuzzing;

mod api;
mod budget;
mod fuzz;
mod openapi;
mod retention;
