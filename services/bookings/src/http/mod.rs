//! The internal HTTP API, one module per resource.

pub mod book;
pub mod payment_events;
pub mod read;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(payment_events::router())
        .merge(book::router())
        .merge(read::router())
        .with_state(state)
}
