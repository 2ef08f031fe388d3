//! Stripe webhooks: verified, stored once (the inbox), and applied by
//! re-reading the object's current state from Stripe — never trusting the
//! event's copy or the order events arrive in.

use roundabout_api::ErrorCode;
use roundabout_support::ApiError;
use serde::Deserialize;

use roundabout_api::states::PaymentState;

use crate::{
    db,
    domain::signature,
    metrics,
    ops::{connect, notify, processor, retrying, unavailable},
    processor::IntentStatus,
    AppState,
};

#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    type_: String,
    /// When Stripe created the event (Unix seconds), for the lag metric.
    #[serde(default)]
    created: Option<i64>,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: serde_json::Value,
}

/// What happened to a delivered event.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Processed,
    Duplicate,
    Ignored,
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Self::Processed => "processed",
            Self::Duplicate => "duplicate",
            Self::Ignored => "ignored",
        }
    }
}

/// Verifies, stores and applies one delivery, and counts it by outcome.
pub async fn receive(state: &AppState, signature_header: Option<&str>, body: &[u8]) -> Result<Outcome, ApiError> {
    let mut event_type = None;
    let result = receive_event(state, signature_header, body, &mut event_type).await;
    let event_type = event_type.as_deref().unwrap_or("unknown");
    match &result {
        Ok(outcome) => metrics::delivered(event_type, outcome.label()),
        Err(e) if e.status.is_client_error() => metrics::delivered(event_type, "rejected"),
        Err(_) => metrics::delivered(event_type, "failed"),
    }
    result
}

async fn receive_event(
    state: &AppState,
    signature_header: Option<&str>,
    body: &[u8],
    event_type: &mut Option<String>,
) -> Result<Outcome, ApiError> {
    if state.settings.webhook_secrets.is_empty() {
        return Err(ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::WebhooksDisabled,
            "STRIPE_WEBHOOK_SECRET is not configured",
        ));
    }
    let header = signature_header.ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::InvalidSignature,
            "Missing Stripe-Signature",
        )
    })?;
    signature::verify(
        header,
        body,
        &state.settings.webhook_secrets,
        chrono::Utc::now().timestamp(),
    )
    .map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::InvalidSignature,
            e.to_string(),
        )
    })?;
    let event: Event = serde_json::from_slice(body).map_err(|_| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            ErrorCode::InvalidInput,
            "Not a Stripe event",
        )
    })?;
    *event_type = Some(event.type_.clone());
    if let Some(created) = event.created {
        metrics::lag(&event.type_, created);
    }
    let object_id = event.data.object.get("id").and_then(|v| v.as_str()).map(str::to_string);
    let fresh = db::events::insert(&state.pool, &event.id, &event.type_, object_id.as_deref()).await?;
    if !fresh && db::events::processed(&state.pool, &event.id).await? {
        return Ok(Outcome::Duplicate);
    }
    let outcome = match (event.type_.as_str(), &object_id) {
        (
            "payment_intent.succeeded"
            | "payment_intent.payment_failed"
            | "payment_intent.amount_capturable_updated"
            | "payment_intent.canceled",
            Some(id),
        ) => {
            sync_intent(state, id).await?;
            Outcome::Processed
        }
        ("charge.refunded", _) => {
            // Refunds are made by this service and recorded when made; the
            // event only confirms them. Re-read the intent to keep its state.
            if let Some(pi) = event.data.object.get("payment_intent").and_then(|v| v.as_str()) {
                sync_intent(state, pi).await?;
            }
            Outcome::Processed
        }
        ("account.updated", Some(id)) => {
            connect::sync_account(state, id).await?;
            Outcome::Processed
        }
        _ => Outcome::Ignored,
    };
    db::events::mark_processed(&state.pool, &event.id).await?;
    Ok(outcome)
}

/// Applies a PaymentIntent's current state to its payment.
pub async fn sync_intent(state: &AppState, intent_id: &str) -> Result<(), ApiError> {
    let gw = processor(state)?;
    let Some(p) = db::payments::by_intent(&state.pool, intent_id).await? else {
        tracing::info!(intent_id, "webhook for an intent this service does not know");
        return Ok(());
    };
    let intent = retrying(|| gw.retrieve_intent(intent_id)).await.map_err(unavailable)?;
    let current = p.status;
    let next = match intent.status {
        IntentStatus::RequiresCapture if matches!(current, PaymentState::Pending | PaymentState::RequiresAction) => {
            Some((PaymentState::Authorised, None))
        }
        IntentStatus::Failed if matches!(current, PaymentState::Pending | PaymentState::RequiresAction) => Some((
            PaymentState::Failed,
            Some(intent.failure_code.unwrap_or_else(|| "card_declined".into())),
        )),
        IntentStatus::Canceled if !current.is_settled() && current != PaymentState::Cancelled => {
            Some((PaymentState::Cancelled, None))
        }
        _ => None,
    };
    if let Some((status, code)) = next {
        let mut tx = state.pool.begin().await?;
        let failure = code.as_deref().map(|c| (c, "The card payment failed"));
        db::payments::set_status(&mut tx, p.booking_id, status, failure).await?;
        notify(&mut tx, p.booking_id, status, code.as_deref()).await?;
        tx.commit().await?;
    }
    Ok(())
}
