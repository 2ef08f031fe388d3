//! The internal HTTP API, one module per resource.

pub mod payment_events;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new().merge(payment_events::router()).with_state(state)
}
