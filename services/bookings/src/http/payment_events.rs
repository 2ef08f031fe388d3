//! `POST /internal/payment-events`: the payments service tells bookings a
//! payment changed. Stored once per idempotency key (an inbox), so the
//! outbox relay's redeliveries have no further effect.

use axum::{extract::State, http::HeaderMap, routing::post, Json, Router};
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};

use crate::{db, AppState};
use roundabout_api::{
    bookings::{PaymentEventIn, PaymentEventReceiptData},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::bookings::PAYMENT_EVENTS, post(receive))
}

async fn receive(
    State(s): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ValidJson(e): ValidJson<PaymentEventIn>,
) -> ApiResult<Json<PaymentEventReceiptData>> {
    if caller.service.as_deref() != Some("payments") {
        return Err(ApiError::forbidden("Only the payments service sends payment events"));
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty() && k.len() <= 200)
        .ok_or_else(|| ApiError::invalid("Idempotency-Key", "An Idempotency-Key header is required"))?;
    let fresh = db::insert_payment_event(&s.pool, key, e.booking_id, e.status, e.failure_code.as_deref()).await?;
    Ok(Json(PaymentEventReceiptData {
        received: true,
        duplicate: !fresh,
    }))
}
