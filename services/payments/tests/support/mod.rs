//! Test support of the payments tests: localstripe (shared with the
//! whole-stack tests, from `roundabout_support::testing`) and the service.

#![allow(dead_code, reason = "each test file uses a different part of the harness")]

pub mod service;

#[allow(unused_imports, reason = "not every test file uses localstripe")]
pub use roundabout_support::testing::localstripe::LocalStripe;
