//! What this service deletes once it is old enough: Stripe's webhook events
//! once applied, delivered and dead outbox messages, and a booking's
//! financial records once the newest of them is past the period (six years
//! by default: HMRC and the Companies Act).
//!
//! The ledger is append-only, so purging it keeps every account's balance:
//! each batch deletes whole transactions and, in the same database
//! transaction, records what they summed to per account as one balanced
//! transaction brought forward. Only that database transaction may delete
//! ledger rows (`db::retention::allow_ledger_purge`), and the deferred
//! balance checks still run at its commit.

use roundabout_api::{states::RetentionKind, Pence};
use roundabout_support::{
    metrics::Metrics,
    retention::{Runner, Settings},
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{db, domain::ledger};

/// Purges one batch of at most `limit` bookings' financial records older
/// than `days` days (and transactions brought forward that long ago);
/// answers the rows deleted (payments and ledger transactions).
pub async fn purge_financial_records(pool: &PgPool, days: i32, limit: i64) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let bookings = db::retention::lock_expired_bookings(&mut tx, days, limit).await?;
    db::retention::allow_ledger_purge(&mut tx).await?;
    let sums = db::retention::delete_entries(&mut tx, &bookings, days).await?;
    let deleted = db::retention::delete_records(&mut tx, &bookings, days).await?;
    if !sums.is_empty() {
        let t = ledger::brought_forward(sums.into_iter().map(|(account, total)| (account, Pence(total))));
        let key = format!("brought-forward:{}", Uuid::new_v4());
        db::ledger::record(&mut tx, None, &key, &t).await?;
    }
    tx.commit().await?;
    Ok(deleted)
}

/// The service's purges, with their metrics on `metrics`.
pub fn runner(pool: PgPool, settings: Settings, metrics: &Metrics) -> Runner {
    let events = settings.days(RetentionKind::StripeEvents);
    let records = settings.days(RetentionKind::FinancialRecords);
    let (p1, p2) = (pool.clone(), pool.clone());
    Runner::new(crate::NAME, pool, settings, metrics)
        .with(RetentionKind::StripeEvents, move |b| {
            let pool = p1.clone();
            async move { b.run(|n| db::retention::purge_stripe_events(&pool, events, n)).await }
        })
        .with(RetentionKind::FinancialRecords, move |b| {
            let pool = p2.clone();
            async move { b.run(|n| purge_financial_records(&pool, records, n)).await }
        })
        .with_outbox()
        .with_events()
}
