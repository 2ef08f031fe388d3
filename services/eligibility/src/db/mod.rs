//! Queries, each taking an executor so callers choose the transaction.

pub mod budget;
pub mod councils;
pub mod households;
pub mod postcodes;
pub mod privacy;
pub mod profiles;
pub mod retention;
pub mod schemes;
pub mod zones;
