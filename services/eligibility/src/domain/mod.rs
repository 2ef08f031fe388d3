//! Eligibility's domain types and rules (no I/O).

pub mod council;
pub mod geometry;
