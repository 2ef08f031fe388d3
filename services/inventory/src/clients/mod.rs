//! Calls to other services.

pub mod councils;
