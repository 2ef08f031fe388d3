//! Lease instalments and provider payouts.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Instalment {
    pub booking_id: Uuid,
    pub month: i32,
    pub due_at: DateTime<Utc>,
    pub base_pence: i64,
    pub subsidy_pence: i64,
    pub amount_pence: i64,
    pub platform_fee_pence: i64,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub intent_id: Option<String>,
    pub last_error: Option<String>,
}

const COLUMNS: &str =
    "booking_id, month, due_at, base_pence, subsidy_pence, amount_pence, platform_fee_pence, status, \
    attempts, next_attempt_at, intent_id, last_error";

#[allow(clippy::too_many_arguments, reason = "one column each")]
pub async fn schedule(
    conn: &mut PgConnection,
    booking_id: Uuid,
    month: i32,
    due_at: DateTime<Utc>,
    base: i64,
    subsidy: i64,
    fee: i64,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into lease_instalments (booking_id, month, due_at, base_pence, subsidy_pence, amount_pence,
             platform_fee_pence, next_attempt_at)
         values ($1, $2, $3, $4, $5, $6, $7, $3) on conflict do nothing",
    )
    .bind(booking_id)
    .bind(month)
    .bind(due_at)
    .bind(base)
    .bind(subsidy)
    .bind(base - subsidy)
    .bind(fee)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn for_booking(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Vec<Instalment>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from lease_instalments where booking_id = $1 order by month"
    ))
    .bind(booking_id)
    .fetch_all(db)
    .await
}

/// Claims due instalments (skipping ones another runner holds).
pub async fn claim_due(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Instalment>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from lease_instalments
         where status in ('SCHEDULED', 'FAILED') and next_attempt_at <= $1 and attempts < 10
         order by next_attempt_at limit $2 for update skip locked"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn cancel_remaining(conn: &mut PgConnection, booking_id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "update lease_instalments set status = 'CANCELLED' where booking_id = $1 and status in ('SCHEDULED', 'FAILED')",
    )
    .bind(booking_id)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- payouts

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Payout {
    pub booking_id: Uuid,
    pub provider_id: Uuid,
    pub amount_pence: i64,
    pub status: String,
}

pub async fn add_payout(conn: &mut PgConnection, booking_id: Uuid, provider_id: Uuid, amount: i64) -> sqlx::Result<()> {
    sqlx::query(
        "insert into payouts (booking_id, provider_id, amount_pence) values ($1, $2, $3) on conflict do nothing",
    )
    .bind(booking_id)
    .bind(provider_id)
    .bind(amount)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn due_payouts(db: impl PgExecutor<'_>, provider_id: Option<Uuid>) -> sqlx::Result<Vec<Payout>> {
    sqlx::query_as(
        "select booking_id, provider_id, amount_pence, status from payouts
         where status = 'DUE' and ($1::uuid is null or provider_id = $1) order by created_at limit 200",
    )
    .bind(provider_id)
    .fetch_all(db)
    .await
}

pub async fn payout(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Option<Payout>> {
    sqlx::query_as("select booking_id, provider_id, amount_pence, status from payouts where booking_id = $1")
        .bind(booking_id)
        .fetch_optional(db)
        .await
}

pub async fn mark_paid(conn: &mut PgConnection, booking_id: Uuid, transfer_id: &str) -> sqlx::Result<()> {
    sqlx::query("update payouts set status = 'PAID', transfer_id = $2, paid_at = now() where booking_id = $1")
        .bind(booking_id)
        .bind(transfer_id)
        .execute(conn)
        .await?;
    Ok(())
}
