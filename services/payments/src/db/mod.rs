//! Queries, each taking an executor or a connection so callers choose the
//! transaction.

pub mod accounts;
pub mod lease;
pub mod ledger;
pub mod payments;
