//! Providers: the councils they operate in (apply), their fleet (add,
//! change, status) and their bookings.

mod councils;
mod fleet;

use axum::Router;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().merge(councils::router()).merge(fleet::router())
}
