//! Every query of the service, compile-checked (`sqlx::query!` and friends,
//! cached in `.sqlx/`), each taking an executor or a connection so callers
//! choose the transaction.

pub mod accounts;
pub mod events;
pub mod lease;
pub mod ledger;
pub mod payments;
pub mod privacy;
pub mod retention;
