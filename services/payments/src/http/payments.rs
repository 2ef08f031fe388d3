//! Payments by booking: charge, capture, release, refund, payout, read.

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use roundabout_api::{states::PayoutStatus, Pence};
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    db::{self, lease::Instalment, payments::PaymentRow},
    ops::{charge, connect, settle},
    AppState,
};
use roundabout_api::{
    payments::{BatchIn, InstalmentData, PaymentData},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::payments::PAYMENTS, post(create))
        .route(routes::payments::PAYMENTS_BATCH, post(batch))
        .route(routes::payments::PAYMENT, get(read))
        .route(routes::payments::PAYMENT_CAPTURE, post(capture))
        .route(routes::payments::PAYMENT_RELEASE, post(release))
        .route(routes::payments::PAYMENT_REFUND, post(refund))
        .route(routes::payments::PAYMENT_PAYOUT, post(payout))
        .route(routes::payments::PAYMENT_LEDGER, get(ledger))
}

pub(crate) fn out(p: PaymentRow, instalments: Vec<Instalment>) -> PaymentData {
    PaymentData {
        booking_id: p.booking_id,
        household_id: p.household_id,
        provider_id: p.provider_id,
        council_id: p.council_id,
        kind: p.kind,
        method: p.method,
        status: p.status,
        currency: p.currency,
        base_pence: p.base_pence,
        subsidy_pence: p.subsidy_pence,
        amount_pence: p.amount_pence,
        platform_fee_pence: p.platform_fee_pence,
        refunded_pence: p.refunded_pence,
        client_secret: p.client_secret,
        failure_code: p.failure_code,
        failure_message: p.failure_message,
        stripe_intent_id: p.stripe_intent_id,
        destination_account: p.destination_account,
        instalments: instalments
            .into_iter()
            .map(|i| InstalmentData {
                month: i.month,
                due_at: i.due_at,
                amount_pence: i.amount_pence,
                status: i.status,
                attempts: i.attempts,
                last_error: i.last_error,
            })
            .collect(),
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

async fn view(state: &AppState, p: PaymentRow) -> ApiResult<Json<PaymentData>> {
    let instalments = db::lease::for_booking(&state.pool, p.booking_id).await?;
    Ok(Json(out(p, instalments)))
}

fn require_service(caller: &Caller) -> ApiResult<()> {
    if caller.is_service() {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only the bookings service moves money"))
    }
}

/// May `caller` see this payment? The household, officers of its council,
/// the provider, admins and services.
fn may_read(caller: &Caller, p: &PaymentRow) -> bool {
    caller.household.is_some_and(|h| h.household_id == p.household_id)
        || caller.provider_id == Some(p.provider_id)
        || caller.can_administer(p.council_id)
}

async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<charge::ChargeIn>,
) -> ApiResult<Json<PaymentData>> {
    require_service(&caller)?;
    let p = charge::charge(&s, input).await?;
    view(&s, p).await
}

async fn read(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<PaymentData>> {
    let p = db::payments::get(&s.pool, id).await?.filter(|p| may_read(&caller, p));
    let p = p.ok_or_else(|| ApiError::not_found("No payment for this booking"))?;
    view(&s, p).await
}

async fn batch(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<BatchIn>,
) -> ApiResult<Json<Vec<PaymentData>>> {
    if input.ids.len() > 500 {
        return Err(ApiError::invalid("ids", "At most 500 ids per batch"));
    }
    let mut all = Vec::new();
    for p in db::payments::get_many(&s.pool, &input.ids).await? {
        if may_read(&caller, &p) {
            let instalments = db::lease::for_booking(&s.pool, p.booking_id).await?;
            all.push(out(p, instalments));
        }
    }
    Ok(Json(all))
}

async fn capture(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<PaymentData>> {
    require_service(&caller)?;
    let p = settle::capture(&s, id).await?;
    view(&s, p).await
}

async fn release(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<PaymentData>> {
    require_service(&caller)?;
    let p = settle::release(&s, id).await?;
    view(&s, p).await
}

async fn refund(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(input): ValidJson<settle::RefundIn>,
) -> ApiResult<Json<PaymentData>> {
    require_service(&caller)?;
    let p = settle::refund(&s, id, input).await?;
    view(&s, p).await
}

/// A payout as `POST …/payout` answers it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PayoutOut {
    pub booking_id: Uuid,
    pub amount_pence: Pence,
    pub status: PayoutStatus,
}

async fn payout(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<Option<PayoutOut>>> {
    require_service(&caller)?;
    let p = connect::release_payout(&s, id).await?;
    Ok(Json(p.map(|p| PayoutOut {
        booking_id: p.booking_id,
        amount_pence: p.amount_pence,
        status: p.status,
    })))
}

/// One ledger account's balance for a booking.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BalanceOut {
    pub account: String,
    pub balance_pence: Pence,
}

/// A booking's ledger balances by account.
async fn ledger(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<BalanceOut>>> {
    let p = db::payments::get(&s.pool, id)
        .await?
        .filter(|p| caller.is_service() || caller.can_administer(p.council_id));
    p.ok_or_else(|| ApiError::not_found("No payment for this booking"))?;
    let rows = db::ledger::booking_balances(&s.pool, id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(account, balance_pence)| BalanceOut { account, balance_pence })
            .collect(),
    ))
}
