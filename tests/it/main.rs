//! The integration tests of the `roundabout` package: one test binary, one
//! module per area, and the helpers they share in [`support`].
//!
//! Run one area with a filter on its module: `cargo xtask test -- journey::`
//! (with cargo-nextest installed, `cargo xtask test` runs each test in its own
//! process; without it, `cargo test` runs them as threads of one process).

mod support;

mod assisted;
mod booking_contention;
mod booking_crash;
mod booking_refusals;
mod bookings;
mod browser;
mod budget_exhaustion;
mod chaos;
mod data_rights;
mod data_rights_crash;
mod demo_schemes;
mod deploy;
mod eligibility;
mod eligibility_refusals;
mod fleet;
mod fuzz;
mod hostile_input;
mod identity;
mod journey;
mod money_totals;
mod notifications;
mod notifications_crash;
mod observability;
mod offers;
mod payouts;
mod reports;
mod retention;
mod traces;
mod up;
mod up_one_process;
mod up_replicas;
mod up_supervisor;
mod web;
mod web_assisted;
mod web_data_rights;
mod web_household;
mod web_notifications;
mod web_offers;
mod web_officer;
mod web_provider;
mod web_reports;
mod web_security;
mod web_statutory;
