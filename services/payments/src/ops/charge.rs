//! Charging a booking's household share: by card (authorised now, captured
//! when the booking is confirmed), by invoice, or not at all when the
//! subsidy covers everything.

use chrono::Months;
use roundabout_api::{ErrorCode, Pence};
use roundabout_support::ApiError;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use roundabout_api::states::{BookingKind, PaymentMethodKind, PaymentState};

use crate::{
    db::{self, payments::NewPayment},
    domain::split::{destination_split, platform_fee},
    ops::{notify, processor, retrying, unavailable},
    processor::{Destination, IntentRequest, IntentStatus, ProcessorError},
    AppState,
};

pub use roundabout_api::payments::{ChargeIn, LeaseIn};

fn check(input: &ChargeIn) -> Result<BookingKind, ApiError> {
    if input.base_pence < Pence::ZERO || input.base_pence > Pence(100_000_000) {
        return Err(ApiError::invalid(
            "base_pence",
            "The price must be between £0 and £1,000,000",
        ));
    }
    if input.subsidy_pence < Pence::ZERO || input.subsidy_pence > input.base_pence {
        return Err(ApiError::invalid(
            "subsidy_pence",
            "The subsidy must be between 0 and the price",
        ));
    }
    let kind = match (input.kind.as_str(), &input.lease) {
        ("HIRE", None) => BookingKind::Hire,
        ("LEASE", Some(l)) => {
            if !(1..=36).contains(&l.months) {
                return Err(ApiError::invalid("lease.months", "A lease lasts 1 to 36 months"));
            }
            if l.monthly_base_pence != input.base_pence || l.monthly_subsidy_pence != input.subsidy_pence {
                return Err(ApiError::invalid("lease", "The first payment must be the first month"));
            }
            BookingKind::Lease
        }
        ("HIRE", Some(_)) => return Err(ApiError::invalid("lease", "A hire has no lease schedule")),
        ("LEASE", None) => return Err(ApiError::invalid("lease", "A lease needs its schedule")),
        _ => return Err(ApiError::invalid("kind", "The kind must be HIRE or LEASE")),
    };
    if let Some(pm) = &input.payment_method {
        if pm.is_empty() || pm.len() > 255 || !pm.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ApiError::invalid("payment_method", "Not a payment method id"));
        }
    }
    Ok(kind)
}

fn digest(input: &ChargeIn) -> String {
    let bytes = serde_json::to_vec(input).unwrap_or_default();
    format!("{:x}", Sha256::digest(bytes))
}

/// Charges the household's share of a booking, once per booking.
pub async fn charge(state: &AppState, input: ChargeIn) -> Result<db::payments::PaymentRow, ApiError> {
    let kind = check(&input)?;
    let digest = digest(&input);
    let household = input.base_pence - input.subsidy_pence;
    let wants_card = input.payment_method.is_some() || input.card;
    if wants_card && household > Pence::ZERO {
        processor(state)?;
    }
    let method = match (household, wants_card) {
        (Pence::ZERO, _) => PaymentMethodKind::None,
        (_, true) => PaymentMethodKind::Card,
        (_, false) => PaymentMethodKind::Invoice,
    };
    let status = match method {
        PaymentMethodKind::None => PaymentState::NotRequired,
        PaymentMethodKind::Invoice => PaymentState::Authorised,
        PaymentMethodKind::Card => PaymentState::Pending,
    };
    let fee_bp = db::payments::council_fee(&state.pool, input.council_id)
        .await?
        .map(i64::from)
        .unwrap_or(state.settings.default_fee_basis_points);
    let fee = platform_fee(input.base_pence, fee_bp);

    let mut tx = state.pool.begin().await?;
    let inserted = db::payments::insert(
        &mut tx,
        &NewPayment {
            booking_id: input.booking_id,
            household_id: input.household_id,
            provider_id: input.provider_id,
            council_id: input.council_id,
            kind,
            method,
            status,
            base_pence: input.base_pence,
            subsidy_pence: input.subsidy_pence,
            amount_pence: household,
            platform_fee_pence: fee,
            payment_method: input.payment_method.as_deref(),
            request_digest: &digest,
        },
    )
    .await?;
    if !inserted {
        drop(tx);
        let existing = db::payments::get(&state.pool, input.booking_id)
            .await?
            .ok_or_else(|| ApiError::not_found("No payment for this booking"))?;
        if existing.request_digest != digest {
            return Err(ApiError::conflict(
                ErrorCode::IdempotencyConflict,
                "This booking already has a payment for a different request",
            ));
        }
        if existing.status == PaymentState::Pending {
            return drive_card(state, input.booking_id).await;
        }
        return Ok(existing);
    }
    if let Some(lease) = &input.lease {
        for month in 2..=lease.months {
            let due = lease
                .start
                .checked_add_months(Months::new((month - 1) as u32))
                .ok_or_else(|| ApiError::invalid("lease.start", "The lease runs past the calendar"))?;
            db::lease::schedule(
                &mut tx,
                input.booking_id,
                month,
                due,
                input.base_pence,
                input.subsidy_pence,
                fee,
            )
            .await?;
        }
    }
    if method != PaymentMethodKind::Card {
        crate::ops::notify(&mut tx, input.booking_id, status, None).await?;
    }
    tx.commit().await?;
    if method == PaymentMethodKind::Card {
        return drive_card(state, input.booking_id).await;
    }
    db::payments::get(&state.pool, input.booking_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the payment just inserted is gone")))
}

/// Creates (or, after a crash or outage, re-sends with the same key) the
/// PaymentIntent of a PENDING card payment and records its outcome.
pub async fn drive_card(state: &AppState, booking_id: Uuid) -> Result<db::payments::PaymentRow, ApiError> {
    let gw = processor(state)?;
    let p = db::payments::get(&state.pool, booking_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No payment for this booking"))?;
    if p.status != PaymentState::Pending {
        return Ok(p);
    }
    let customer = match db::accounts::customer(&state.pool, p.household_id).await? {
        Some(c) => c,
        None => {
            let key = format!("customer:{}", p.household_id);
            db::payments::record_call(&state.pool, &key, Some(booking_id), "create_customer").await?;
            let reference = p.household_id.to_string();
            let c = retrying(|| gw.create_customer(None, &reference, &key))
                .await
                .map_err(unavailable)?;
            db::accounts::save_customer(&state.pool, p.household_id, &c).await?;
            db::payments::complete_call(&state.pool, &key, &c).await?;
            // Another request may have saved one first; use the stored one.
            db::accounts::customer(&state.pool, p.household_id).await?.unwrap_or(c)
        }
    };
    let destination = match db::accounts::account(&state.pool, p.provider_id).await? {
        Some(a) if a.charges_enabled && a.payouts_enabled => Some(Destination {
            application_fee: destination_split(p.base_pence, p.amount_pence, p.platform_fee_pence)
                .application_fee
                .get(),
            account: a.account_id,
        }),
        _ => None,
    };
    let req = IntentRequest {
        amount: p.amount_pence.get(),
        currency: p.currency.to_lowercase(),
        customer: customer.clone(),
        payment_method: p.payment_method.clone(),
        manual_capture: true,
        off_session: false,
        destination: destination.clone(),
        description: format!("Roundabout booking {booking_id}"),
        metadata: vec![("booking_id".into(), booking_id.to_string())],
        transfer_group: Some(format!("booking-{booking_id}")),
    };
    let key = intent_key(booking_id);
    db::payments::record_call(&state.pool, &key, Some(booking_id), "create_payment_intent").await?;
    let outcome = retrying(|| gw.create_intent(&req, &key)).await;
    let mut tx = state.pool.begin().await?;
    let Some(current) = db::payments::lock(&mut tx, booking_id).await? else {
        return Err(ApiError::not_found("No payment for this booking"));
    };
    if current.status != PaymentState::Pending {
        // A concurrent driver or a webhook recorded the outcome first, or
        // the payment was released meanwhile. An intent this call created
        // that the payment does not hold would keep money on the card:
        // cancel it.
        drop(tx);
        if let Ok(intent) = &outcome {
            let held = matches!(
                intent.status,
                IntentStatus::RequiresCapture | IntentStatus::RequiresAction | IntentStatus::Processing
            );
            if held && current.stripe_intent_id.as_deref() != Some(intent.id.as_str()) {
                cancel_orphan(state, booking_id, &intent.id).await?;
            }
        }
        return Ok(current);
    }
    let (status, failure) = match outcome {
        Ok(intent) => {
            db::payments::complete_call(&mut *tx, &key, &intent.id).await?;
            db::payments::set_processor(
                &mut tx,
                booking_id,
                Some(&customer),
                Some(&intent.id),
                intent.client_secret.as_deref(),
                destination.as_ref().map(|d| d.account.as_str()),
            )
            .await?;
            match intent.status {
                IntentStatus::RequiresCapture => (PaymentState::Authorised, None),
                IntentStatus::Succeeded => (PaymentState::Captured, None),
                IntentStatus::RequiresAction | IntentStatus::Processing => (PaymentState::RequiresAction, None),
                IntentStatus::Canceled => (PaymentState::Cancelled, None),
                IntentStatus::Failed => (
                    PaymentState::Failed,
                    Some((
                        intent.failure_code.unwrap_or_else(|| "card_declined".into()),
                        "The card was declined".to_string(),
                    )),
                ),
            }
        }
        Err(ProcessorError::Declined { code, message }) => (PaymentState::Failed, Some((code, message))),
        Err(ProcessorError::Refused(m)) => {
            tracing::error!(%booking_id, reason = %m, "processor refused a payment intent");
            (
                PaymentState::Failed,
                Some((
                    "processor_refused".to_string(),
                    "The card payment could not be made".to_string(),
                )),
            )
        }
        Err(e @ ProcessorError::Unavailable(_)) => {
            // Left PENDING: the reconciliation job re-sends with the same key.
            return Err(unavailable(e));
        }
    };
    let failure_ref = failure.as_ref().map(|(c, m)| (c.as_str(), m.as_str()));
    db::payments::set_status(&mut tx, booking_id, status, failure_ref).await?;
    notify(&mut tx, booking_id, status, failure_ref.map(|f| f.0)).await?;
    tx.commit().await?;
    db::payments::get(&state.pool, booking_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the payment just updated is gone")))
}

/// The key of the one intent a card payment's first charge creates.
pub fn intent_key(booking_id: Uuid) -> String {
    format!("pi:{booking_id}:1")
}

/// Cancels at the processor an intent no payment holds.
async fn cancel_orphan(state: &AppState, booking_id: Uuid, intent_id: &str) -> Result<(), ApiError> {
    let gw = processor(state)?;
    let key = format!("cancel-orphan:{intent_id}");
    db::payments::record_call(&state.pool, &key, Some(booking_id), "cancel").await?;
    match retrying(|| gw.cancel_intent(intent_id, &key)).await {
        Ok(_) => {}
        Err(e @ ProcessorError::Unavailable(_)) => return Err(unavailable(e)),
        Err(e) => tracing::info!(%booking_id, intent = intent_id, reason = %e, "the orphan intent was already gone"),
    }
    db::payments::complete_call(&state.pool, &key, intent_id).await?;
    tracing::warn!(%booking_id, intent = intent_id, "cancelled an intent created after its payment was released");
    Ok(())
}
