//! The internal HTTP API, one module per resource, and the public webhook.

pub mod openapi;
pub mod payments;
pub mod privacy;
pub mod providers;
pub mod webhooks;

use axum::Router;

use crate::AppState;

/// Routes that require a signed caller.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(payments::router())
        .merge(providers::router())
        .merge(privacy::router())
        .with_state(state)
        // Plain-text refusals of a malformed path or query get the envelope too.
        .layer(axum::middleware::map_response(
            roundabout_support::error::envelope_plain_refusals,
        ))
}

/// The one public route: `POST /webhooks/stripe`.
pub fn public(state: AppState) -> Router {
    webhooks::router().with_state(state)
}
