//! `POST /webhooks/stripe`: public, authenticated by Stripe's signature.

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Json, Router};
use roundabout_support::ApiResult;

use crate::{ops::webhooks, AppState};
use roundabout_api::routes;

pub fn router() -> Router<AppState> {
    Router::new().route(routes::payments::STRIPE_WEBHOOK, post(receive))
}

/// What the webhook answers Stripe.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Receipt {
    /// Always true: the event is stored (or was before).
    pub received: bool,
    /// What became of it (`processed`, `duplicate` or `ignored`).
    pub outcome: String,
}

async fn receive(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Receipt>> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let outcome = webhooks::receive(&s, signature, &body).await?;
    Ok(Json(Receipt {
        received: true,
        outcome: format!("{outcome:?}").to_lowercase(),
    }))
}
