//! Queries, each taking an executor so callers choose the transaction.

pub mod councils;
pub mod households;
