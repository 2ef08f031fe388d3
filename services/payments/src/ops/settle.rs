//! After the charge: capture when the booking is confirmed, release when it
//! is not, refund on cancellation. Each is idempotent by booking.

use roundabout_api::{ErrorCode, Pence};
use roundabout_support::ApiError;
use uuid::Uuid;

use roundabout_api::states::{PaymentMethodKind, PaymentState};

use crate::{
    db::{self, payments::PaymentRow},
    domain::{
        ledger::{self, Parties, Settlement},
        split::destination_split,
    },
    ops::{notify, processor, retrying, unavailable},
    processor::ProcessorError,
    AppState,
};

fn parties(p: &PaymentRow) -> Parties {
    Parties {
        household: p.household_id,
        council: p.council_id,
        provider: p.provider_id,
    }
}

fn settlement(p: &PaymentRow) -> Settlement {
    if p.method == PaymentMethodKind::Card {
        Settlement::Card
    } else {
        Settlement::Invoice
    }
}

async fn load(state: &AppState, booking_id: Uuid) -> Result<PaymentRow, ApiError> {
    db::payments::get(&state.pool, booking_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No payment for this booking"))
}

fn invalid_state(p: &PaymentRow, action: &str) -> ApiError {
    ApiError::conflict(
        ErrorCode::InvalidState,
        format!(
            "A payment that is {} cannot be {action}",
            p.status.as_str().to_lowercase()
        ),
    )
}

/// Captures an authorised payment and records the charge in the ledger.
pub async fn capture(state: &AppState, booking_id: Uuid) -> Result<PaymentRow, ApiError> {
    let p = load(state, booking_id).await?;
    match p.status {
        PaymentState::Authorised | PaymentState::NotRequired => {}
        s if s.is_settled() => return Ok(p),
        _ => return Err(invalid_state(&p, "captured")),
    }
    if p.method == PaymentMethodKind::Card {
        let gw = processor(state)?;
        let intent_id = p
            .stripe_intent_id
            .clone()
            .ok_or_else(|| invalid_state(&p, "captured"))?;
        let key = format!("capture:{booking_id}");
        db::payments::record_call(&state.pool, &key, Some(booking_id), "capture").await?;
        let intent = retrying(|| gw.capture_intent(&intent_id, &key))
            .await
            .map_err(|e| match e {
                e @ ProcessorError::Unavailable(_) => unavailable(e),
                other => ApiError::internal(anyhow::anyhow!("capture refused: {other}")),
            })?;
        db::payments::complete_call(&state.pool, &key, &intent.id).await?;
    }
    let mut tx = state.pool.begin().await?;
    let Some(p) = db::payments::lock(&mut tx, booking_id).await? else {
        return Err(ApiError::not_found("No payment for this booking"));
    };
    if p.status.is_settled() {
        return Ok(p);
    }
    let t = ledger::charge(
        parties(&p),
        settlement(&p),
        p.base_pence,
        p.subsidy_pence,
        p.platform_fee_pence,
    );
    db::ledger::record(&mut tx, Some(booking_id), &format!("charge:{booking_id}"), &t).await?;
    if p.destination_account.is_some() {
        // The household's card payment went straight to the provider, less the fee.
        let split = destination_split(p.base_pence, p.amount_pence, p.platform_fee_pence);
        let direct = p.amount_pence - split.application_fee;
        if direct > Pence::ZERO {
            db::ledger::record(
                &mut tx,
                Some(booking_id),
                &format!("destination:{booking_id}"),
                &ledger::payout(p.provider_id, direct),
            )
            .await?;
        }
    }
    let status = if p.status == PaymentState::NotRequired {
        PaymentState::NotRequired
    } else {
        PaymentState::Captured
    };
    db::payments::set_status(&mut tx, booking_id, status, None).await?;
    notify(&mut tx, booking_id, PaymentState::Captured, None).await?;
    tx.commit().await?;
    load(state, booking_id).await
}

/// Releases a payment that will not be captured: cancels the card
/// authorisation or voids the invoice.
pub async fn release(state: &AppState, booking_id: Uuid) -> Result<PaymentRow, ApiError> {
    let mut p = load(state, booking_id).await?;
    if p.method == PaymentMethodKind::Card
        && p.status == PaymentState::Pending
        && db::payments::call_made(&state.pool, &super::charge::intent_key(booking_id)).await?
    {
        // The intent may exist at the processor though its answer was lost
        // (a crash, an outage): re-send the same request with the same key
        // to learn it, so that the authorisation is cancelled below rather
        // than left holding money on the card.
        p = super::charge::drive_card(state, booking_id).await?;
    }
    match p.status {
        PaymentState::Cancelled | PaymentState::Failed => return Ok(p),
        s if s.is_settled() => return Err(invalid_state(&p, "released; refund it instead")),
        _ => {}
    }
    if let (PaymentMethodKind::Card, Some(intent_id)) = (p.method, p.stripe_intent_id.clone()) {
        let gw = processor(state)?;
        let key = format!("cancel:{booking_id}");
        db::payments::record_call(&state.pool, &key, Some(booking_id), "cancel").await?;
        match retrying(|| gw.cancel_intent(&intent_id, &key)).await {
            Ok(_) => {}
            Err(e @ ProcessorError::Unavailable(_)) => return Err(unavailable(e)),
            // Already cancelled or failed at the processor: nothing was taken.
            Err(e) => tracing::info!(%booking_id, reason = %e, "cancel refused; treating the authorisation as gone"),
        }
    }
    let mut tx = state.pool.begin().await?;
    db::payments::set_status(&mut tx, booking_id, PaymentState::Cancelled, None).await?;
    db::lease::cancel_remaining(&mut tx, booking_id).await?;
    notify(&mut tx, booking_id, PaymentState::Cancelled, None).await?;
    tx.commit().await?;
    load(state, booking_id).await
}

pub use roundabout_api::payments::RefundIn;

/// Refunds a settled payment on cancellation, once per booking: returns
/// `amount` of the household's share, releases the subsidy, and cancels a
/// lease's remaining months.
pub async fn refund(state: &AppState, booking_id: Uuid, input: RefundIn) -> Result<PaymentRow, ApiError> {
    let p = load(state, booking_id).await?;
    let key = format!("cancellation:{booking_id}");
    if db::ledger::exists(&state.pool, &key).await? {
        return Ok(p);
    }
    if !(p.status.is_settled() || p.status == PaymentState::NotRequired) {
        return Err(invalid_state(&p, "refunded"));
    }
    let refundable = p.amount_pence - p.refunded_pence;
    if input.amount_pence < Pence::ZERO || input.amount_pence > refundable {
        return Err(ApiError::unprocessable(
            ErrorCode::RefundExceedsCaptured,
            format!("At most {} pence can be refunded", refundable.get()),
        )
        .with_field(["amount_pence"]));
    }
    if p.method == PaymentMethodKind::Card && input.amount_pence > Pence::ZERO {
        let gw = processor(state)?;
        let intent_id = p
            .stripe_intent_id
            .clone()
            .ok_or_else(|| invalid_state(&p, "refunded"))?;
        let call_key = format!("refund:{booking_id}");
        db::payments::record_call(&state.pool, &call_key, Some(booking_id), "refund").await?;
        let r = retrying(|| gw.refund(&intent_id, input.amount_pence.get(), &call_key))
            .await
            .map_err(|e| match e {
                e @ ProcessorError::Unavailable(_) => unavailable(e),
                other => ApiError::internal(anyhow::anyhow!("refund refused: {other}")),
            })?;
        db::payments::complete_call(&state.pool, &call_key, &r.id).await?;
    }
    let mut tx = state.pool.begin().await?;
    let Some(p) = db::payments::lock(&mut tx, booking_id).await? else {
        return Err(ApiError::not_found("No payment for this booking"));
    };
    let t = ledger::cancellation(
        parties(&p),
        settlement(&p),
        p.base_pence,
        p.subsidy_pence,
        p.platform_fee_pence,
        input.amount_pence,
    );
    if db::ledger::record(&mut tx, Some(booking_id), &key, &t).await? {
        let refunded = p.refunded_pence + input.amount_pence;
        let status = match p.status {
            PaymentState::NotRequired => PaymentState::NotRequired,
            _ if input.amount_pence == Pence::ZERO => p.status,
            _ if refunded == p.amount_pence => PaymentState::Refunded,
            _ => PaymentState::PartiallyRefunded,
        };
        db::payments::add_refund(&mut tx, booking_id, input.amount_pence, status).await?;
        db::lease::cancel_remaining(&mut tx, booking_id).await?;
        notify(&mut tx, booking_id, status, None).await?;
    }
    tx.commit().await?;
    load(state, booking_id).await
}
