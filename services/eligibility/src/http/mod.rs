//! The internal HTTP API, one module per resource.

pub mod councils;
pub mod households;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(councils::router())
        .merge(households::router())
        .with_state(state)
}
