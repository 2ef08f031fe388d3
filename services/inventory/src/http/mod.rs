//! The internal HTTP API, one module per resource.

pub mod providers;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new().merge(providers::router()).with_state(state)
}
