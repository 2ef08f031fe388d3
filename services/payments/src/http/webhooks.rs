//! `POST /webhooks/stripe`: public, authenticated by Stripe's signature.

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Json, Router};
use roundabout_support::ApiResult;
use serde_json::{json, Value};

use crate::{ops::webhooks, AppState};
use roundabout_api::routes;

pub fn router() -> Router<AppState> {
    Router::new().route(routes::payments::STRIPE_WEBHOOK, post(receive))
}

async fn receive(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> ApiResult<Json<Value>> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    let outcome = webhooks::receive(&s, signature, &body).await?;
    Ok(Json(
        json!({"received": true, "outcome": format!("{outcome:?}").to_lowercase()}),
    ))
}
