//! The integration tests of `roundabout-payments`: one test binary, one module per
//! area, the helpers they share in [`support`].
//!
//! One area: `cargo xtask test -p roundabout-payments -- fuzz::`.

// The fuzz helpers every service shares (`roundabout-support`'s tests).
#[path = "../../../support/tests/fuzzing/mod.rs"]
mod fuzzing;
mod support;

mod api;
mod cards;
mod fuzz;
mod ledger_and_invoices;
mod openapi;
mod retention;
mod stripe_adapter;
mod webhooks;
