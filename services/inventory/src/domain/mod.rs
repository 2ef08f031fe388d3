//! Inventory's domain types and rules (no I/O).

pub mod import;
pub mod provider;
pub mod vehicle;
