//! The booking saga: a process manager whose state is the booking row.
//!
//! `step` names what must happen next. [`drive`] claims the booking,
//! performs its step against the other services with a key derived from the
//! booking id (every receiver is idempotent by booking), then records the
//! outcome and the next step in one transaction. A crash at any point
//! leaves the step recorded, and the resumer task performs it again; the
//! receivers make the repeat harmless. Forward path:
//! `HOLD_BUDGET → CHARGE → COMMIT_BUDGET → CAPTURE → DONE` (CONFIRMED);
//! compensation: `RELEASE_PAYMENT → RELEASE_BUDGET → FREE_SLOT → DONE`
//! (FAILED or EXPIRED); cancellation:
//! `REFUND → RELEASE_BUDGET → FREE_SLOT → DONE` (CANCELLED); completion:
//! `PAYOUT → DONE`.

pub mod pause;
mod steps;

use roundabout_api::{ErrorCode, Pence};
use std::time::Duration;

use chrono::Utc;
use roundabout_api::states::{BookingStatus, PaymentState, SagaStep};
use uuid::Uuid;

use self::pause::When;
use crate::{db, AppState};

/// What performing a step led to.
#[derive(Debug)]
pub enum Outcome {
    /// Go on to `next`; optionally with a new status, payment status or failure.
    Next(Transition),
    /// Could not be done now (a service unavailable): try again later.
    Retry(String),
    /// Waiting for the household (a card needing its action).
    Wait { payment_status: PaymentState },
}

/// A recorded change of step.
#[derive(Debug)]
pub struct Transition {
    pub next: SagaStep,
    pub status: Option<BookingStatus>,
    pub outcome: Option<BookingStatus>,
    pub payment_status: Option<PaymentState>,
    pub failure: Option<(ErrorCode, String)>,
    pub free_slot: bool,
}

impl Transition {
    pub fn to(next: SagaStep) -> Self {
        Self {
            next,
            status: None,
            outcome: None,
            payment_status: None,
            failure: None,
            free_slot: false,
        }
    }

    /// Starts compensation, ending as `outcome` for `code`.
    pub fn compensate(outcome: BookingStatus, code: ErrorCode, message: &str) -> Self {
        Self {
            outcome: Some(outcome),
            failure: Some((code, message.to_string())),
            ..Self::to(SagaStep::ReleasePayment)
        }
    }
}

/// Drives a booking until it is done or must wait (for the household, or
/// for a service to come back); answers the booking as it then stands.
/// `held`: the caller already holds the booking's claim (it just wrote it).
pub async fn drive(state: &AppState, id: Uuid, held: bool) -> sqlx::Result<Option<db::BookingRow>> {
    let mut held = held;
    for _ in 0..16 {
        let current = if held {
            db::get(&state.pool, id).await?.filter(|b| b.step != SagaStep::Done)
        } else {
            db::claim(&state.pool, id, state.claim.as_secs_f64()).await?
        };
        let Some(b) = current else {
            break;
        };
        held = true;
        let outcome = if expired(state, &b) {
            Outcome::Next(Transition::compensate(
                BookingStatus::Expired,
                ErrorCode::PaymentTimeout,
                "The payment was not completed in time",
            ))
        } else {
            state.pauses.at(&state.pool, id, When::Before, b.step).await;
            steps::perform(state, &b).await
        };
        match outcome {
            Outcome::Next(t) => {
                state.pauses.at(&state.pool, id, When::After, b.step).await;
                record(state, &b, t).await?
            }
            Outcome::Retry(reason) => {
                tracing::warn!(booking = %id, step = %b.step, %reason, "saga step will be retried");
                later(state, &b, Some(&reason), None).await?;
                held = false;
                break;
            }
            Outcome::Wait { payment_status } => {
                later(state, &b, None, Some(payment_status)).await?;
                held = false;
                break;
            }
        }
    }
    if held {
        db::unclaim(&state.pool, id).await?;
    }
    db::get(&state.pool, id).await
}

fn expired(state: &AppState, b: &db::BookingRow) -> bool {
    b.status == BookingStatus::PendingPayment
        && matches!(b.step, SagaStep::HoldBudget | SagaStep::Charge)
        && Utc::now() - b.created_at > chrono::Duration::from_std(state.payment_timeout).unwrap_or_default()
}

/// Records a step's outcome and the next step, in one transaction.
async fn record(state: &AppState, b: &db::BookingRow, t: Transition) -> sqlx::Result<()> {
    let (code, message) = t.failure.unzip();
    let final_status = if t.next == SagaStep::Done && b.step == SagaStep::FreeSlot {
        Some(b.outcome.unwrap_or(BookingStatus::Failed))
    } else {
        t.status
    };
    let change = db::StepChange {
        id: b.id,
        from: b.step,
        next: t.next,
        status: final_status,
        outcome: t.outcome,
        payment_status: t.payment_status,
        failure_code: code.map(ErrorCode::as_str),
        failure_message: message.as_deref(),
        free_slot: t.free_slot,
    };
    db::record_step(&state.pool, &change, state.claim.as_secs_f64()).await
}

/// Backs off: 0.5 s doubling to 5 min (a waiting card is looked at again
/// after a few seconds, or at once when a payment event arrives).
async fn later(
    state: &AppState,
    b: &db::BookingRow,
    error: Option<&str>,
    payment_status: Option<PaymentState>,
) -> sqlx::Result<()> {
    let delay = if payment_status.is_some() {
        Duration::from_secs(5)
    } else {
        Duration::from_millis(500)
            .saturating_mul(1u32 << b.attempts.clamp(0, 10))
            .min(Duration::from_secs(300))
    };
    db::retry_later(&state.pool, b.id, error, payment_status, delay.as_secs_f64()).await
}

/// Wakes bookings with unconsumed payment events (the inbox) and marks the
/// events consumed; answers the bookings woken.
pub async fn wake_from_events(state: &AppState) -> sqlx::Result<Vec<Uuid>> {
    db::wake_from_events(&state.pool).await
}

/// Starts a cancellation: from a confirmed or running booking, the refund;
/// from an unpaid one, the release of its payment. The caller then holds
/// the booking's claim and drives it (`drive(…, true)`).
pub async fn start_cancellation(
    state: &AppState,
    id: Uuid,
    reason: Option<&str>,
    refund_pence: Pence,
    paid: bool,
) -> sqlx::Result<bool> {
    let first = if paid {
        SagaStep::Refund
    } else {
        SagaStep::ReleasePayment
    };
    db::start_cancellation(&state.pool, id, reason, refund_pence, first, state.claim.as_secs_f64()).await
}
