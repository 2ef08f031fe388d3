//! What the payments service does: each operation is idempotent by booking,
//! records its processor idempotency key before the call, and changes the
//! database only after the processor has answered.

pub mod charge;
pub mod connect;
pub mod jobs;
pub mod settle;
pub mod webhooks;

use roundabout_api::ErrorCode;
use std::{future::Future, sync::Arc, time::Duration};

use roundabout_support::{outbox, ApiError};
use sqlx::PgConnection;
use uuid::Uuid;

use roundabout_api::states::PaymentState;

use crate::{
    processor::{PaymentProcessor, ProcessorError},
    AppState,
};
use roundabout_api::{bookings::PaymentEventIn, routes};

/// Tries a processor call up to three times while it is unavailable, always
/// with the same idempotency key (the closure reuses it).
pub async fn retrying<T, F, Fut>(mut call: F) -> Result<T, ProcessorError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProcessorError>>,
{
    let mut delay = Duration::from_millis(200);
    let mut last = None;
    for _ in 0..3 {
        match call().await {
            Err(e) if e.is_retryable() => {
                tracing::warn!(error = %e, "processor unavailable; retrying with the same key");
                last = Some(e);
                tokio::time::sleep(delay).await;
                delay *= 3;
            }
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| ProcessorError::Unavailable("no attempt made".into())))
}

/// The processor, or a refusal when card payments are not configured.
pub fn processor(state: &AppState) -> Result<&Arc<dyn PaymentProcessor>, ApiError> {
    state.processor.as_ref().ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::CardPaymentsDisabled,
            "Card payments are not configured (STRIPE_SECRET_KEY is unset)",
        )
    })
}

/// 503 for a processor that stayed unavailable; the operation can be retried.
pub fn unavailable(e: ProcessorError) -> ApiError {
    tracing::warn!(error = %e, "processor unavailable");
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::PaymentProviderUnavailable,
        "The card processor is not answering; nothing was charged twice. Please try again.",
    )
}

/// Tells bookings, through the outbox, that a payment changed.
pub async fn notify(
    conn: &mut PgConnection,
    booking_id: Uuid,
    status: PaymentState,
    failure_code: Option<&str>,
) -> sqlx::Result<()> {
    let msg = outbox::Message::new(
        "bookings",
        routes::bookings::PAYMENT_EVENTS,
        &PaymentEventIn {
            booking_id,
            status,
            failure_code: failure_code.map(str::to_string),
        },
        format!("payment:{booking_id}:{}", status.as_str()),
    );
    outbox::enqueue(conn, &msg).await
}
