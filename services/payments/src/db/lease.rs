//! Lease instalments and provider payouts.

use chrono::{DateTime, Utc};
use roundabout_api::{
    states::{InstalmentStatus, PayoutStatus},
    Pence,
};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Instalment {
    pub booking_id: Uuid,
    pub month: i32,
    pub due_at: DateTime<Utc>,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    pub amount_pence: Pence,
    pub platform_fee_pence: Pence,
    pub status: InstalmentStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub intent_id: Option<String>,
    pub last_error: Option<String>,
}

#[allow(clippy::too_many_arguments, reason = "one column each")]
pub async fn schedule(
    conn: &mut PgConnection,
    booking_id: Uuid,
    month: i32,
    due_at: DateTime<Utc>,
    base: Pence,
    subsidy: Pence,
    fee: Pence,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into lease_instalments (booking_id, month, due_at, base_pence, subsidy_pence, amount_pence,
             platform_fee_pence, next_attempt_at)
         values ($1, $2, $3, $4, $5, $6, $7, $3) on conflict do nothing",
        booking_id,
        month,
        due_at,
        base.get(),
        subsidy.get(),
        (base - subsidy).get(),
        fee.get(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn for_booking(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Vec<Instalment>> {
    sqlx::query_as!(
        Instalment,
        r#"select booking_id, month, due_at, base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            amount_pence as "amount_pence: Pence", platform_fee_pence as "platform_fee_pence: Pence",
            status as "status: InstalmentStatus", attempts, next_attempt_at, intent_id, last_error
         from lease_instalments where booking_id = $1 order by month"#,
        booking_id,
    )
    .fetch_all(db)
    .await
}

/// Claims due instalments (skipping ones another runner holds).
pub async fn claim_due(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> sqlx::Result<Vec<Instalment>> {
    sqlx::query_as!(
        Instalment,
        r#"select booking_id, month, due_at, base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            amount_pence as "amount_pence: Pence", platform_fee_pence as "platform_fee_pence: Pence",
            status as "status: InstalmentStatus", attempts, next_attempt_at, intent_id, last_error
         from lease_instalments
         where status in ('SCHEDULED', 'FAILED') and next_attempt_at <= $1 and attempts < 10
         order by next_attempt_at limit $2 for update skip locked"#,
        now,
        limit,
    )
    .fetch_all(conn)
    .await
}

pub async fn cancel_remaining(conn: &mut PgConnection, booking_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "update lease_instalments set status = 'CANCELLED' where booking_id = $1 and status in ('SCHEDULED', 'FAILED')",
        booking_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a month paid by the processor's `intent_id`.
pub async fn mark_instalment_paid(
    conn: &mut PgConnection,
    booking_id: Uuid,
    month: i32,
    intent_id: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update lease_instalments set status = 'PAID', paid_at = now(), attempts = attempts + 1, intent_id = $3, last_error = null
         where booking_id = $1 and month = $2",
        booking_id,
        month,
        intent_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt at a month; the next one after `retry_secs`.
pub async fn mark_instalment_failed(
    conn: &mut PgConnection,
    booking_id: Uuid,
    month: i32,
    reason: &str,
    retry_secs: f64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update lease_instalments set status = 'FAILED', attempts = attempts + 1, last_error = $3,
             next_attempt_at = now() + make_interval(secs => $4)
         where booking_id = $1 and month = $2",
        booking_id,
        month,
        reason,
        retry_secs,
    )
    .execute(conn)
    .await?;
    Ok(())
}

// ---- payouts

#[derive(Debug, Clone)]
pub struct Payout {
    pub booking_id: Uuid,
    pub provider_id: Uuid,
    pub amount_pence: Pence,
    pub status: PayoutStatus,
}

pub async fn add_payout(
    conn: &mut PgConnection,
    booking_id: Uuid,
    provider_id: Uuid,
    amount: Pence,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into payouts (booking_id, provider_id, amount_pence) values ($1, $2, $3) on conflict do nothing",
        booking_id,
        provider_id,
        amount.get(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn due_payouts(db: impl PgExecutor<'_>, provider_id: Option<Uuid>) -> sqlx::Result<Vec<Payout>> {
    sqlx::query_as!(
        Payout,
        r#"select booking_id, provider_id, amount_pence as "amount_pence: Pence", status as "status: PayoutStatus" from payouts
         where status = 'DUE' and ($1::uuid is null or provider_id = $1) order by created_at limit 200"#,
        provider_id,
    )
    .fetch_all(db)
    .await
}

pub async fn payout(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Option<Payout>> {
    sqlx::query_as!(
        Payout,
        r#"select booking_id, provider_id, amount_pence as "amount_pence: Pence", status as "status: PayoutStatus" from payouts where booking_id = $1"#,
        booking_id,
    )
    .fetch_optional(db)
    .await
}

pub async fn mark_paid(conn: &mut PgConnection, booking_id: Uuid, transfer_id: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update payouts set status = 'PAID', transfer_id = $2, paid_at = now() where booking_id = $1",
        booking_id,
        transfer_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}
