//! Each saga step: one idempotent call to another service, keyed by the
//! booking id, and what its answer means for the booking.

use roundabout_api::states::{BookingStatus, PaymentState, SagaStep};
use roundabout_api::{ErrorCode, Pence};
use roundabout_support::{
    client::{ClientError, ServiceClient},
    internal_auth::Caller,
};
use serde::Serialize;
use serde_json::{json, Value};

use super::{Outcome, Transition};
use crate::{db::BookingRow, AppState};
use roundabout_api::{
    eligibility::{ReleaseIn, ReserveIn},
    payments::{ChargeIn, LeaseIn, PaymentData, RefundIn},
    routes,
};
use uuid::Uuid;

fn me() -> Caller {
    Caller::service(crate::NAME)
}

/// What a hold or a commit of the booking's subsidy asks for.
fn reserve(b: &BookingRow, scheme_id: Uuid) -> ReserveIn {
    ReserveIn {
        booking_id: b.id,
        scheme_id: Some(scheme_id),
        household_id: Some(b.household_id),
        amount_pence: Some(b.subsidy_pence),
    }
}

pub async fn perform(state: &AppState, b: &BookingRow) -> Outcome {
    match b.step {
        SagaStep::HoldBudget => hold(state, b).await,
        SagaStep::Charge => charge(state, b).await,
        SagaStep::CommitBudget => commit(state, b).await,
        SagaStep::Capture => capture(state, b).await,
        SagaStep::ReleasePayment => release_payment(state, b).await,
        SagaStep::Refund => refund(state, b).await,
        SagaStep::ReleaseBudget => release_budget(state, b).await,
        SagaStep::FreeSlot => Outcome::Next(Transition {
            free_slot: true,
            ..Transition::to(SagaStep::Done)
        }),
        SagaStep::Payout => payout(state, b).await,
        other @ SagaStep::Done => Outcome::Retry(format!("unknown step {other}")),
    }
}

async fn post(client: &ServiceClient, path: &str, body: &impl Serialize) -> Result<Value, ClientError> {
    client.post::<_, Value>(path, body, &me()).await
}

fn retry(e: ClientError) -> Outcome {
    Outcome::Retry(e.to_string())
}

async fn hold(state: &AppState, b: &BookingRow) -> Outcome {
    let Some(scheme_id) = b.scheme_id.filter(|_| b.subsidy_pence > Pence::ZERO) else {
        return Outcome::Next(Transition::to(SagaStep::Charge));
    };
    let body = reserve(b, scheme_id);
    match post(&state.eligibility, routes::eligibility::BUDGET_HOLD, &body).await {
        Ok(_) => Outcome::Next(Transition::to(SagaStep::Charge)),
        Err(e @ ClientError::Refused { .. }) => Outcome::Next(Transition::compensate(
            BookingStatus::Failed,
            ErrorCode::BudgetExhausted,
            &format!("The council's subsidy could not be held: {}", message(&e)),
        )),
        Err(e) => retry(e),
    }
}

fn message(e: &ClientError) -> String {
    match e {
        ClientError::Refused { body, .. } => body.message.clone(),
        other => other.to_string(),
    }
}

async fn charge(state: &AppState, b: &BookingRow) -> Outcome {
    let lease = b.lease_months.map(|months| LeaseIn {
        months,
        start: b.start_at,
        monthly_base_pence: b.first_base_pence,
        monthly_subsidy_pence: b.first_subsidy_pence,
    });
    let body = ChargeIn {
        booking_id: b.id,
        household_id: b.household_id,
        provider_id: b.provider_id,
        council_id: b.council_id,
        kind: b.kind.to_string(),
        base_pence: b.first_base_pence,
        subsidy_pence: b.first_subsidy_pence,
        payment_method: b.payment_method.clone(),
        card: false,
        lease,
        email: None,
    };
    let p: PaymentData = match state.payments.post(routes::payments::PAYMENTS, &body, &me()).await {
        Ok(p) => p,
        Err(e @ ClientError::Refused { .. }) => {
            return Outcome::Next(Transition::compensate(
                BookingStatus::Failed,
                ErrorCode::PaymentFailed,
                &format!("The payment could not be made: {}", message(&e)),
            ))
        }
        Err(e) => return retry(e),
    };
    let with_status = |mut t: Transition| {
        t.payment_status = Some(p.status);
        Outcome::Next(t)
    };
    match p.status {
        PaymentState::Authorised | PaymentState::NotRequired | PaymentState::Captured => {
            with_status(Transition::to(SagaStep::CommitBudget))
        }
        PaymentState::RequiresAction => Outcome::Wait {
            payment_status: p.status,
        },
        PaymentState::Failed | PaymentState::Cancelled => with_status(Transition::compensate(
            BookingStatus::Failed,
            ErrorCode::PaymentDeclined,
            &format!(
                "The card was declined ({})",
                p.failure_code.as_deref().unwrap_or("no reason given")
            ),
        )),
        other => Outcome::Retry(format!("payment is {other}")),
    }
}

async fn commit(state: &AppState, b: &BookingRow) -> Outcome {
    let Some(scheme_id) = b.scheme_id.filter(|_| b.subsidy_pence > Pence::ZERO) else {
        return Outcome::Next(Transition::to(SagaStep::Capture));
    };
    let body = reserve(b, scheme_id);
    match post(&state.eligibility, routes::eligibility::BUDGET_COMMIT, &body).await {
        Ok(_) => Outcome::Next(Transition::to(SagaStep::Capture)),
        Err(e @ ClientError::Refused { .. }) => Outcome::Next(Transition::compensate(
            BookingStatus::Failed,
            ErrorCode::BudgetExhausted,
            &format!("The council's subsidy could not be committed: {}", message(&e)),
        )),
        Err(e) => retry(e),
    }
}

async fn capture(state: &AppState, b: &BookingRow) -> Outcome {
    let path = routes::payments::payment_capture(b.id);
    match state.payments.post::<_, PaymentData>(&path, &json!({}), &me()).await {
        Ok(p) => Outcome::Next(Transition {
            status: Some(BookingStatus::Confirmed),
            payment_status: Some(p.status),
            ..Transition::to(SagaStep::Done)
        }),
        Err(e @ ClientError::Refused { .. }) => Outcome::Next(Transition::compensate(
            BookingStatus::Failed,
            ErrorCode::PaymentFailed,
            &format!("The payment could not be captured: {}", message(&e)),
        )),
        Err(e) => retry(e),
    }
}

async fn release_payment(state: &AppState, b: &BookingRow) -> Outcome {
    let path = routes::payments::payment_release(b.id);
    match state.payments.post::<_, PaymentData>(&path, &json!({}), &me()).await {
        Ok(p) => Outcome::Next(Transition {
            payment_status: Some(p.status),
            ..Transition::to(SagaStep::ReleaseBudget)
        }),
        Err(e) if e.is_not_found() => Outcome::Next(Transition::to(SagaStep::ReleaseBudget)),
        Err(e @ ClientError::Refused { .. }) => {
            // Settled already: cannot be released; a cancellation refunds it instead.
            tracing::error!(booking = %b.id, error = %e, "payment could not be released");
            Outcome::Next(Transition::to(SagaStep::Refund))
        }
        Err(e) => retry(e),
    }
}

async fn refund(state: &AppState, b: &BookingRow) -> Outcome {
    let path = routes::payments::payment_refund(b.id);
    // A cancellation says how much; compensating a payment that was already
    // settled (a card captured at once) gives all of it back.
    let amount = b.refund_pence.unwrap_or(b.first_base_pence - b.first_subsidy_pence);
    let body = RefundIn { amount_pence: amount };
    match state.payments.post::<_, PaymentData>(&path, &body, &me()).await {
        Ok(p) => Outcome::Next(Transition {
            payment_status: Some(p.status),
            ..Transition::to(SagaStep::ReleaseBudget)
        }),
        Err(e) if e.is_not_found() => Outcome::Next(Transition::to(SagaStep::ReleaseBudget)),
        Err(e @ ClientError::Refused { .. }) => {
            tracing::error!(booking = %b.id, error = %e, "refund refused");
            Outcome::Retry(e.to_string())
        }
        Err(e) => retry(e),
    }
}

async fn release_budget(state: &AppState, b: &BookingRow) -> Outcome {
    if b.scheme_id.is_none() {
        return Outcome::Next(Transition::to(SagaStep::FreeSlot));
    }
    match post(
        &state.eligibility,
        routes::eligibility::BUDGET_RELEASE,
        &ReleaseIn { booking_id: b.id },
    )
    .await
    {
        Ok(_) => Outcome::Next(Transition::to(SagaStep::FreeSlot)),
        Err(e) if e.is_not_found() => Outcome::Next(Transition::to(SagaStep::FreeSlot)),
        Err(e) => retry(e),
    }
}

async fn payout(state: &AppState, b: &BookingRow) -> Outcome {
    let path = routes::payments::payment_payout(b.id);
    match state.payments.post::<_, Value>(&path, &json!({}), &me()).await {
        Ok(_) => Outcome::Next(Transition::to(SagaStep::Done)),
        Err(e) if e.is_not_found() => Outcome::Next(Transition::to(SagaStep::Done)),
        Err(e) => retry(e),
    }
}
