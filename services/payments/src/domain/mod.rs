//! Payments' domain rules (no I/O): ledger entries, fee splits, webhook
//! signatures (states are `roundabout_api::states`).

pub mod ledger;
pub mod signature;
pub mod split;
