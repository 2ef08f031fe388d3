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

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use self::pause::When;
use crate::{db, AppState};

/// Steps of the saga, as stored in `bookings.step`.
pub mod step {
    pub const HOLD_BUDGET: &str = "HOLD_BUDGET";
    pub const CHARGE: &str = "CHARGE";
    pub const COMMIT_BUDGET: &str = "COMMIT_BUDGET";
    pub const CAPTURE: &str = "CAPTURE";
    pub const RELEASE_PAYMENT: &str = "RELEASE_PAYMENT";
    pub const REFUND: &str = "REFUND";
    pub const RELEASE_BUDGET: &str = "RELEASE_BUDGET";
    pub const FREE_SLOT: &str = "FREE_SLOT";
    pub const PAYOUT: &str = "PAYOUT";
    pub const DONE: &str = "DONE";

    /// Every step that does something, in the order of the paths above.
    pub const ALL: [&str; 9] = [
        HOLD_BUDGET,
        CHARGE,
        COMMIT_BUDGET,
        CAPTURE,
        RELEASE_PAYMENT,
        REFUND,
        RELEASE_BUDGET,
        FREE_SLOT,
        PAYOUT,
    ];
}

/// What performing a step led to.
#[derive(Debug)]
pub enum Outcome {
    /// Go on to `next`; optionally with a new status, payment status or failure.
    Next(Transition),
    /// Could not be done now (a service unavailable): try again later.
    Retry(String),
    /// Waiting for the household (a card needing its action).
    Wait { payment_status: String },
}

/// A recorded change of step.
#[derive(Debug, Default)]
pub struct Transition {
    pub next: &'static str,
    pub status: Option<&'static str>,
    pub outcome: Option<&'static str>,
    pub payment_status: Option<String>,
    pub failure: Option<(String, String)>,
    pub free_slot: bool,
}

impl Transition {
    pub fn to(next: &'static str) -> Self {
        Self {
            next,
            ..Self::default()
        }
    }

    /// Starts compensation, ending as `outcome` for `code`.
    pub fn compensate(outcome: &'static str, code: &str, message: &str) -> Self {
        Self {
            next: step::RELEASE_PAYMENT,
            outcome: Some(outcome),
            failure: Some((code.to_string(), message.to_string())),
            ..Self::default()
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
            db::get(&state.pool, id).await?.filter(|b| b.step != step::DONE)
        } else {
            db::claim(&state.pool, id, state.claim.as_secs_f64()).await?
        };
        let Some(b) = current else {
            break;
        };
        held = true;
        let outcome = if expired(state, &b) {
            Outcome::Next(Transition::compensate(
                "EXPIRED",
                "PAYMENT_TIMEOUT",
                "The payment was not completed in time",
            ))
        } else {
            state.pauses.at(&state.pool, id, When::Before, &b.step).await;
            steps::perform(state, &b).await
        };
        match outcome {
            Outcome::Next(t) => {
                state.pauses.at(&state.pool, id, When::After, &b.step).await;
                record(state, &b, t).await?
            }
            Outcome::Retry(reason) => {
                tracing::warn!(booking = %id, step = %b.step, %reason, "saga step will be retried");
                later(state, &b, Some(&reason), None).await?;
                held = false;
                break;
            }
            Outcome::Wait { payment_status } => {
                later(state, &b, None, Some(&payment_status)).await?;
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
    b.status == "PENDING_PAYMENT"
        && (b.step == step::HOLD_BUDGET || b.step == step::CHARGE)
        && Utc::now() - b.created_at > chrono::Duration::from_std(state.payment_timeout).unwrap_or_default()
}

/// Records a step's outcome and the next step, in one transaction.
async fn record(state: &AppState, b: &db::BookingRow, t: Transition) -> sqlx::Result<()> {
    let (code, message) = t.failure.unzip();
    let final_status = if t.next == step::DONE && b.step == step::FREE_SLOT {
        Some(b.outcome.clone().unwrap_or_else(|| "FAILED".into()))
    } else {
        t.status.map(str::to_string)
    };
    sqlx::query(
        "update bookings set step = $3, status = coalesce($4, status), outcome = coalesce($5, outcome),
            payment_status = coalesce($6, payment_status), failure_code = coalesce($7, failure_code),
            failure_message = coalesce($8, failure_message), slot_held = slot_held and not $9,
            attempts = 0, next_attempt_at = now(), last_error = null, updated_at = now(),
            claimed_until = now() + make_interval(secs => $10)
         where id = $1 and step = $2",
    )
    .bind(b.id)
    .bind(&b.step)
    .bind(t.next)
    .bind(final_status)
    .bind(t.outcome)
    .bind(t.payment_status)
    .bind(code)
    .bind(message)
    .bind(t.free_slot)
    .bind(state.claim.as_secs_f64())
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// Backs off: 0.5 s doubling to 5 min (a waiting card is looked at again
/// after a few seconds, or at once when a payment event arrives).
async fn later(
    state: &AppState,
    b: &db::BookingRow,
    error: Option<&str>,
    payment_status: Option<&str>,
) -> sqlx::Result<()> {
    let delay = if payment_status.is_some() {
        Duration::from_secs(5)
    } else {
        Duration::from_millis(500)
            .saturating_mul(1u32 << b.attempts.clamp(0, 10))
            .min(Duration::from_secs(300))
    };
    sqlx::query(
        "update bookings set attempts = attempts + 1, last_error = $2, payment_status = coalesce($3, payment_status),
            next_attempt_at = now() + make_interval(secs => $4), claimed_until = null, updated_at = now()
         where id = $1",
    )
    .bind(b.id)
    .bind(error)
    .bind(payment_status)
    .bind(delay.as_secs_f64())
    .execute(&state.pool)
    .await?;
    Ok(())
}

/// Wakes bookings with unconsumed payment events (the inbox) and marks the
/// events consumed; answers the bookings woken.
pub async fn wake_from_events(state: &AppState) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "with consumed as (
            update payment_events set consumed_at = now()
            where idempotency_key in (select idempotency_key from payment_events where consumed_at is null limit 200)
            returning booking_id
         )
         update bookings set next_attempt_at = now()
         where id in (select booking_id from consumed) and step <> 'DONE'
         returning id",
    )
    .fetch_all(&state.pool)
    .await
}

/// Starts a cancellation: from a confirmed or running booking, the refund;
/// from an unpaid one, the release of its payment. The caller then holds
/// the booking's claim and drives it (`drive(…, true)`).
pub async fn start_cancellation(
    state: &AppState,
    id: Uuid,
    reason: Option<&str>,
    refund_pence: i64,
    paid: bool,
) -> sqlx::Result<bool> {
    let first = if paid { step::REFUND } else { step::RELEASE_PAYMENT };
    let n = sqlx::query(
        "update bookings set cancelled_at = now(), cancel_reason = $2, refund_pence = $3, step = $4,
            outcome = 'CANCELLED', attempts = 0, next_attempt_at = now(), updated_at = now(),
            claimed_until = now() + make_interval(secs => $5)
         where id = $1 and cancelled_at is null and status in ('PENDING_PAYMENT', 'CONFIRMED', 'ACTIVE')
           and (step = 'DONE' or step in ('HOLD_BUDGET', 'CHARGE'))
           and (claimed_until is null or claimed_until < now())",
    )
    .bind(id)
    .bind(reason)
    .bind(refund_pence)
    .bind(first)
    .bind(state.claim.as_secs_f64())
    .execute(&state.pool)
    .await?
    .rows_affected();
    Ok(n == 1)
}
