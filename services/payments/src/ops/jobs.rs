//! Background work: reconciling payments whose outcome is unknown, billing
//! lease months, and paying providers whose accounts became payable.

use std::time::Duration;

use chrono::Utc;
use roundabout_support::{exclusive, shutdown::Shutdown};

use roundabout_api::{
    states::{PaymentMethodKind, PaymentState},
    Pence,
};

use crate::{
    db,
    domain::ledger::{self, Parties, Settlement},
    ops::{charge, connect, retrying, webhooks},
    processor::{IntentRequest, IntentStatus, ProcessorError},
    AppState,
};

/// Resolves card payments left PENDING (a crash or outage after the key was
/// stored) or waiting on the household past the threshold. Returns how many
/// it looked at.
pub async fn reconcile_once(state: &AppState) -> anyhow::Result<usize> {
    if state.processor.is_none() {
        return Ok(0);
    }
    let ids = db::payments::stale(&state.pool, state.settings.reconcile_after_secs).await?;
    for id in &ids {
        let Some(p) = db::payments::get(&state.pool, *id).await? else {
            continue;
        };
        let result = match (p.status, &p.stripe_intent_id) {
            (PaymentState::Pending, _) => charge::drive_card(state, *id).await.map(|_| ()),
            (PaymentState::RequiresAction, Some(intent)) => webhooks::sync_intent(state, intent).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(booking = %id, error = %e, "reconciliation will try again");
        }
    }
    Ok(ids.len())
}

/// Bills every lease month that is due, each exactly once: rows are claimed
/// with `for update skip locked`, the processor key names the month and the
/// attempt, and a month's ledger transaction is keyed by the month.
pub async fn bill_leases_once(state: &AppState) -> anyhow::Result<usize> {
    let mut tx = state.pool.begin().await?;
    let due = db::lease::claim_due(&mut tx, Utc::now(), 50).await?;
    let n = due.len();
    for m in due {
        let Some(p) = db::payments::get(&mut *tx, m.booking_id).await? else {
            continue;
        };
        if matches!(
            p.status,
            PaymentState::Cancelled | PaymentState::Refunded | PaymentState::Failed
        ) {
            continue;
        }
        let parties = Parties {
            household: p.household_id,
            council: p.council_id,
            provider: p.provider_id,
        };
        let settled = if p.method == PaymentMethodKind::Card && m.amount_pence > Pence::ZERO {
            let Some(gw) = state.processor.as_ref() else { continue };
            let Some(customer) = p.stripe_customer.clone() else {
                continue;
            };
            let key = format!("lease:{}:{}:{}", m.booking_id, m.month, m.attempts + 1);
            db::payments::record_call(&mut *tx, &key, Some(m.booking_id), "lease_month").await?;
            let req = IntentRequest {
                amount: m.amount_pence.get(),
                currency: p.currency.to_lowercase(),
                customer,
                payment_method: p.payment_method.clone(),
                manual_capture: false,
                off_session: true,
                destination: None,
                description: format!("Roundabout lease {} month {}", m.booking_id, m.month),
                metadata: vec![
                    ("booking_id".into(), m.booking_id.to_string()),
                    ("month".into(), m.month.to_string()),
                ],
                transfer_group: Some(format!("booking-{}", m.booking_id)),
            };
            match retrying(|| gw.create_intent(&req, &key)).await {
                Ok(i) if i.status == IntentStatus::Succeeded => Some((Settlement::Card, Some(i.id))),
                Ok(i) => {
                    mark_failed(
                        &mut tx,
                        &m,
                        &format!("the month's payment is {:?}", i.status),
                        state.settings.lease_retry_secs,
                    )
                    .await?;
                    None
                }
                Err(ProcessorError::Unavailable(e)) => {
                    // Same key next run: the processor replays instead of charging twice.
                    tracing::warn!(booking = %m.booking_id, month = m.month, error = %e, "lease month not billed yet");
                    None
                }
                Err(e) => {
                    mark_failed(&mut tx, &m, &e.to_string(), state.settings.lease_retry_secs).await?;
                    None
                }
            }
        } else {
            Some((
                if p.method == PaymentMethodKind::Card {
                    Settlement::Card
                } else {
                    Settlement::Invoice
                },
                None,
            ))
        };
        if let Some((via, intent)) = settled {
            let t = ledger::charge(parties, via, m.base_pence, m.subsidy_pence, m.platform_fee_pence);
            db::ledger::record(
                &mut tx,
                Some(m.booking_id),
                &format!("charge:{}:m{}", m.booking_id, m.month),
                &t,
            )
            .await?;
            db::lease::mark_instalment_paid(&mut tx, m.booking_id, m.month, intent.as_deref()).await?;
        }
    }
    tx.commit().await?;
    Ok(n)
}

async fn mark_failed(
    tx: &mut sqlx::PgConnection,
    m: &db::lease::Instalment,
    reason: &str,
    retry_secs: i64,
) -> sqlx::Result<()> {
    tracing::warn!(booking = %m.booking_id, month = m.month, reason, "lease month failed; will retry");
    db::lease::mark_instalment_failed(tx, m.booking_id, m.month, reason, retry_secs as f64).await
}

/// Runs the jobs every `every` until shutdown (the first pass one interval
/// after start, when the service is surely serving).
pub async fn run(state: AppState, every: Duration, shutdown: Shutdown) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.clone().wait() => return,
        }
        // With several replicas, one at a time reconciles (two would drive
        // the same stale payment at once). Lease months are claimed row by
        // row and payouts one by one, so those passes need no leader.
        if let Err(e) = exclusive::run(&state.pool, "payments.reconcile", reconcile_once(&state)).await {
            tracing::warn!(error = ?e, "reconciliation pass failed");
        }
        if let Err(e) = bill_leases_once(&state).await {
            tracing::warn!(error = ?e, "lease billing pass failed");
        }
        if let Err(e) = connect::pay_due(&state, None).await {
            tracing::warn!(error = %e, "payout pass failed");
        }
    }
}
