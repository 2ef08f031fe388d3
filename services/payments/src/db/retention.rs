//! Retention: the Stripe webhook inbox, and a booking's financial records
//! (its payment, lease instalments, payout, processor calls and ledger
//! transactions) once the newest of them is past the period.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Deletes at most `limit` webhook events applied more than `days` days ago.
/// Events not yet applied are never deleted.
pub async fn purge_stripe_events(db: impl PgExecutor<'_>, days: i32, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "delete from stripe_events where id in (
            select id from stripe_events where processed_at < now() - make_interval(days => $1) limit $2)",
        days,
        limit,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// Locks up to `limit` bookings whose financial records are all older than
/// `days` days and settled: the payment's outcome is final, no lease month
/// is still to be charged, no payout is still owed, and no ledger
/// transaction or payout of the booking is newer than the cut-off.
pub async fn lock_expired_bookings(conn: &mut PgConnection, days: i32, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "select p.booking_id from payments p
         where p.created_at < now() - make_interval(days => $1)
           and p.status in ('CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED', 'FAILED', 'CANCELLED', 'NOT_REQUIRED')
           and not exists (select 1 from ledger_transactions t
                           where t.booking_id = p.booking_id and t.created_at >= now() - make_interval(days => $1))
           and not exists (select 1 from lease_instalments i
                           where i.booking_id = p.booking_id and i.status in ('SCHEDULED', 'FAILED'))
           and not exists (select 1 from payouts o where o.booking_id = p.booking_id
                           and (o.status = 'DUE' or coalesce(o.paid_at, o.created_at) >= now() - make_interval(days => $1)))
         order by p.created_at
         limit $2
         for update of p skip locked",
        days,
        limit,
    )
    .fetch_all(conn)
    .await
}

/// Allows this database transaction, and only it, to delete ledger rows
/// (the append-only triggers check this setting).
pub async fn allow_ledger_purge(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query_scalar!("select set_config('roundabout.ledger_purge', 'on', true)")
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// Deletes the ledger entries of `bookings`' transactions and of transactions
/// brought forward more than `days` days ago; answers what they summed to
/// per account (accounts netting to zero left out).
pub async fn delete_entries(conn: &mut PgConnection, bookings: &[Uuid], days: i32) -> sqlx::Result<Vec<(String, i64)>> {
    let rows = sqlx::query!(
        r#"with gone as (
            delete from ledger_entries where transaction_id in (
                select id from ledger_transactions
                where booking_id = any($1)
                   or (booking_id is null and kind = 'brought_forward'
                       and created_at < now() - make_interval(days => $2)))
            returning account, amount_pence)
         select account as "account!", sum(amount_pence)::bigint as "total!" from gone
         group by account having sum(amount_pence) <> 0 order by account"#,
        bookings,
        days,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.account, r.total)).collect())
}

/// Deletes the transactions whose entries [`delete_entries`] deleted, and
/// the bookings' payments, instalments, payouts and processor calls;
/// answers the rows deleted.
pub async fn delete_records(conn: &mut PgConnection, bookings: &[Uuid], days: i32) -> sqlx::Result<u64> {
    let transactions = sqlx::query!(
        "delete from ledger_transactions
         where booking_id = any($1)
            or (booking_id is null and kind = 'brought_forward' and created_at < now() - make_interval(days => $2))",
        bookings,
        days,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    sqlx::query!("delete from lease_instalments where booking_id = any($1)", bookings)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("delete from payouts where booking_id = any($1)", bookings)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("delete from stripe_calls where booking_id = any($1)", bookings)
        .execute(&mut *conn)
        .await?;
    let payments = sqlx::query!("delete from payments where booking_id = any($1)", bookings)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(transactions + payments)
}
