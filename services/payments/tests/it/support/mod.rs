//! Test support of the payments tests: localstripe (shared with the
//! whole-stack tests, from `roundabout_support::testing`) and the service.

pub mod service;

pub use roundabout_support::testing::localstripe::LocalStripe;
