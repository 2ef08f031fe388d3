//! Inventory's domain types and rules (no I/O).

pub mod provider;
