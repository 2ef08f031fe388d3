//! Payments' domain rules (no I/O): ledger entries, fee splits, webhook
//! signatures, payment states.

pub mod ledger;
pub mod signature;
pub mod split;
pub mod status;
