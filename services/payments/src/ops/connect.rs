//! Providers' payouts: Connect onboarding, and paying what a provider is
//! owed once a booking completes and its account can receive money.

use std::sync::Arc;

use roundabout_api::states::PayoutStatus;
use roundabout_support::{exclusive::Exclusive, ApiError};
use uuid::Uuid;

use crate::{
    db::{self, accounts::ConnectedAccount},
    domain::ledger,
    ops::{processor, retrying, unavailable},
    processor::{PaymentProcessor, ProcessorError},
    AppState,
};

pub use roundabout_api::payments::OnboardingIn;

/// The onboarding link.
pub use roundabout_api::payments::OnboardingData as OnboardingOut;

/// Creates the provider's express account once and returns an onboarding link.
pub async fn onboarding(state: &AppState, provider_id: Uuid, input: OnboardingIn) -> Result<OnboardingOut, ApiError> {
    for (field, url) in [("refresh_url", &input.refresh_url), ("return_url", &input.return_url)] {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() > 2000 {
            return Err(ApiError::invalid(field, "Expected an http(s) URL"));
        }
    }
    let gw = processor(state)?;
    let account = match db::accounts::account(&state.pool, provider_id).await? {
        Some(a) => a.account_id,
        None => {
            let key = format!("account:{provider_id}");
            db::payments::record_call(&state.pool, &key, None, "create_account").await?;
            let reference = provider_id.to_string();
            let a = retrying(|| gw.create_account(input.email.as_deref(), &reference, &key))
                .await
                .map_err(map)?;
            db::accounts::save_account(
                &state.pool,
                &ConnectedAccount {
                    provider_id,
                    account_id: a.id.clone(),
                    charges_enabled: a.charges_enabled,
                    payouts_enabled: a.payouts_enabled,
                },
            )
            .await?;
            db::payments::complete_call(&state.pool, &key, &a.id).await?;
            a.id
        }
    };
    let url = retrying(|| gw.onboarding_link(&account, &input.refresh_url, &input.return_url))
        .await
        .map_err(map)?;
    Ok(OnboardingOut { url })
}

fn map(e: ProcessorError) -> ApiError {
    match e {
        e @ ProcessorError::Unavailable(_) => unavailable(e),
        other => ApiError::internal(anyhow::anyhow!("processor refused: {other}")),
    }
}

/// Re-reads a connected account and stores whether it can be paid; pays
/// what waits for it once it can.
pub async fn sync_account(state: &AppState, account_id: &str) -> Result<(), ApiError> {
    let gw = processor(state)?;
    let a = retrying(|| gw.retrieve_account(account_id)).await.map_err(map)?;
    if let Some(provider) =
        db::accounts::update_account_state(&state.pool, &a.id, a.charges_enabled, a.payouts_enabled).await?
    {
        if a.payouts_enabled {
            pay_due(state, Some(provider)).await?;
        }
    }
    Ok(())
}

/// On completion: what the provider is owed for the booking becomes a payout,
/// paid now if its account can receive it, otherwise when it can.
pub async fn release_payout(state: &AppState, booking_id: Uuid) -> Result<Option<db::lease::Payout>, ApiError> {
    let p = db::payments::get(&state.pool, booking_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No payment for this booking"))?;
    let owed =
        -db::ledger::booking_account_balance(&state.pool, booking_id, &ledger::provider_payable(p.provider_id)).await?;
    if owed > roundabout_api::Pence::ZERO {
        let mut tx = state.pool.begin().await?;
        db::lease::add_payout(&mut tx, booking_id, p.provider_id, owed).await?;
        tx.commit().await?;
        pay_due(state, Some(p.provider_id)).await?;
    }
    Ok(db::lease::payout(&state.pool, booking_id).await?)
}

/// Pays due payouts of providers whose accounts can receive them.
pub async fn pay_due(state: &AppState, provider: Option<Uuid>) -> Result<usize, ApiError> {
    let Some(gw) = state.processor.as_ref() else {
        return Ok(0);
    };
    let mut paid = 0;
    for due in db::lease::due_payouts(&state.pool, provider).await? {
        let Some(acct) = db::accounts::account(&state.pool, due.provider_id).await? else {
            continue;
        };
        if !acct.payouts_enabled {
            continue;
        }
        // One payer per payout across replicas and callers (this job and a
        // booking's completion both pay): whoever holds the lock pays, and
        // reads the payout again under it, so a payout just paid by another
        // is not paid twice.
        let Some(lock) = Exclusive::try_acquire(&state.pool, &format!("payments.payout:{}", due.booking_id)).await?
        else {
            continue;
        };
        let paid_now = pay_one(state, gw, &acct.account_id, due.booking_id).await;
        lock.release().await?;
        paid += usize::from(paid_now?);
    }
    Ok(paid)
}

/// Pays one payout if it is still due; answers whether it paid. The caller
/// holds the payout's lock.
async fn pay_one(
    state: &AppState,
    gw: &Arc<dyn PaymentProcessor>,
    account_id: &str,
    booking_id: Uuid,
) -> Result<bool, ApiError> {
    let Some(due) = db::lease::payout(&state.pool, booking_id).await? else {
        return Ok(false);
    };
    if due.status != PayoutStatus::Due {
        return Ok(false);
    }
    {
        let key = format!("payout:{}", due.booking_id);
        db::payments::record_call(&state.pool, &key, Some(due.booking_id), "transfer").await?;
        let group = format!("booking-{}", due.booking_id);
        let transfer = match retrying(|| gw.transfer(due.amount_pence.get(), "gbp", account_id, &group, &key)).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(booking = %due.booking_id, error = %e, "payout not made; will retry");
                return Ok(false);
            }
        };
        let mut tx = state.pool.begin().await?;
        db::ledger::record(
            &mut tx,
            Some(due.booking_id),
            &key,
            &ledger::payout(due.provider_id, due.amount_pence),
        )
        .await?;
        db::lease::mark_paid(&mut tx, due.booking_id, &transfer).await?;
        tx.commit().await?;
        db::payments::complete_call(&state.pool, &key, &transfer).await?;
    }
    Ok(true)
}
