//! Retention: abandoned bookings and the payment events inbox.

use sqlx::PgExecutor;
use uuid::Uuid;

/// Deletes at most `limit` abandoned bookings (with their payment events)
/// whose end is older than their council's period: `councils` with `days`
/// have their own, every other council `default_days`.
///
/// Abandoned means the booking never moved money, which its saga tells: it
/// EXPIRED or FAILED, the saga is done and the slot free, its payment (as
/// last reported by payments) was never taken — none made, FAILED, or
/// CANCELLED (an authorisation released); a payment captured and then
/// refunded by compensation is REFUNDED and kept — and no payment event
/// about it waits unread. Reports count only bookings that stood or were
/// cancelled, so deleting these changes none.
pub async fn purge_abandoned(
    db: impl PgExecutor<'_>,
    default_days: i32,
    councils: &[Uuid],
    days: &[i32],
    limit: i64,
) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "with own as (select * from unnest($2::uuid[], $3::int[]) as o(council_id, days)),
         doomed as (
            select b.id from bookings b
            left join own on own.council_id = b.council_id
            where b.status in ('EXPIRED', 'FAILED') and b.step = 'DONE' and not b.slot_held
              and coalesce(b.payment_status, 'FAILED') in ('FAILED', 'CANCELLED')
              and b.updated_at < now() - make_interval(days => (select least($1::int, min(days)) from own))
              and b.updated_at < now() - make_interval(days => coalesce(own.days, $1::int))
              and not exists (select 1 from payment_events e where e.booking_id = b.id and e.consumed_at is null)
            limit $4
            for update of b skip locked),
         events as (delete from payment_events where booking_id in (select id from doomed))
         delete from bookings where id in (select id from doomed)",
        default_days,
        councils,
        days,
        limit,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes at most `limit` payment events acted on more than `days` days ago.
pub async fn purge_payment_events(db: impl PgExecutor<'_>, days: i32, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "delete from payment_events where idempotency_key in (
            select idempotency_key from payment_events
            where consumed_at < now() - make_interval(days => $1) limit $2)",
        days,
        limit,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
