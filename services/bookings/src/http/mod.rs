//! The internal HTTP API, one module per resource.

pub mod book;
pub mod offers;
pub mod openapi;
pub mod payment_events;
pub mod privacy;
pub mod read;
pub mod report;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(payment_events::router())
        .merge(book::router())
        .merge(read::router())
        .merge(offers::router())
        .merge(report::router())
        .merge(privacy::router())
        .with_state(state)
        // Plain-text refusals of a malformed path or query get the envelope too.
        .layer(axum::middleware::map_response(
            roundabout_support::error::envelope_plain_refusals,
        ))
}
