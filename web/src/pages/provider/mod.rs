//! Providers: the councils they operate in (apply), their fleet (add,
//! change, status, import from a file), their bookings and their payouts.

mod contact;
mod councils;
mod fleet;
mod import;
mod payouts;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(councils::router())
        .merge(fleet::router())
        .merge(import::router())
        .merge(payouts::router())
        .merge(contact::router())
}
