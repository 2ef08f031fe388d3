//! The internal HTTP API, one module per resource.

pub mod approvals;
pub mod gbfs;
pub mod import;
pub mod openapi;
pub mod providers;
pub mod search;
pub mod vehicles;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(providers::router())
        .merge(approvals::router())
        .merge(vehicles::router())
        .merge(search::router())
        .merge(import::router())
        .merge(gbfs::router())
        .with_state(state)
        // Plain-text refusals of a malformed path or query get the envelope too.
        .layer(axum::middleware::map_response(
            roundabout_support::error::envelope_plain_refusals,
        ))
}
