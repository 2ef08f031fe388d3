//! The integration tests of `roundabout-bookings`: one test binary, one module per
//! area.
//!
//! One area: `cargo xtask test -p roundabout-bookings -- fuzz::`.

// The fuzz helpers every service shares (`roundabout-support`'s tests).
#[path = "../../../support/tests/fuzzing/mod.rs"]
mod fuzzing;

mod api;
mod fuzz;
mod openapi;
mod report_totals;
mod retention;
mod saga;
