//! Queries, each taking an executor so callers choose the transaction.

pub mod approvals;
pub mod councils;
pub mod providers;
pub mod vehicles;
