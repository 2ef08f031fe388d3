//! The internal HTTP API, one module per resource.

pub mod budget;
pub mod check;
pub mod councils;
pub mod decisions;
pub mod households;
pub mod lifecycle;
pub mod offer_terms;
pub mod openapi;
pub mod postcodes;
pub mod privacy;
pub mod profiles;
pub mod retention;
pub mod schemes;
pub mod simulation;
pub mod zones;

use axum::Router;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(councils::router())
        .merge(households::router())
        .merge(zones::router())
        .merge(postcodes::router())
        .merge(check::router())
        .merge(profiles::router())
        .merge(schemes::router())
        .merge(lifecycle::router())
        .merge(decisions::router())
        .merge(simulation::router())
        .merge(budget::router())
        .merge(offer_terms::router())
        .merge(privacy::router())
        .merge(retention::router())
        .with_state(state)
        // Plain-text refusals of a malformed path or query get the envelope too.
        .layer(axum::middleware::map_response(
            roundabout_support::error::envelope_plain_refusals,
        ))
}
