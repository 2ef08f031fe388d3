//! Retention: financial records purged after their period with every
//! account's balance brought forward, the ledger append-only on every other
//! path, and the webhook inbox purged once applied.

use std::collections::HashMap;

use roundabout_payments::{db, retention::purge_financial_records};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::service::{hire, start, Payments};

const SIX_YEARS: i32 = roundabout_api::retention::SIX_YEARS;

/// An invoiced hire, captured, and refunded `refund` pence.
async fn settled(p: &Payments, refund: i64) -> Uuid {
    let booking = Uuid::new_v4();
    p.post("/internal/payments", hire(booking, None)).await.unwrap();
    p.post(&format!("/internal/payments/{booking}/capture"), json!({}))
        .await
        .unwrap();
    if refund > 0 {
        p.post(
            &format!("/internal/payments/{booking}/refund"),
            json!({"amount_pence": refund}),
        )
        .await
        .unwrap();
    }
    booking
}

/// Moves a booking's records (or, with `None`, the transactions brought
/// forward) `days` days into the past. The ledger refuses updates, so its
/// triggers are bypassed for this one connection, as only a test may.
async fn backdate(pool: &PgPool, booking: Option<Uuid>, days: i32) {
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("set session_replication_role = replica")
        .execute(&mut *conn)
        .await
        .unwrap();
    let ago = "now() - make_interval(days => $2)";
    for sql in [
        format!("update payments set created_at = {ago} where booking_id = $1"),
        format!("update ledger_transactions set created_at = {ago} where booking_id is not distinct from $1"),
    ] {
        sqlx::query(&sql)
            .bind(booking)
            .bind(days)
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::query("reset session_replication_role")
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// Every account's balance over the whole ledger.
async fn balances(pool: &PgPool) -> HashMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>(
        "select account, sum(amount_pence)::bigint from ledger_entries group by account having sum(amount_pence) <> 0",
    )
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .collect()
}

async fn count(pool: &PgPool, sql: &str, booking: Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(booking).fetch_one(pool).await.unwrap()
}

async fn kept(pool: &PgPool, booking: Uuid) -> (i64, i64) {
    (
        count(pool, "select count(*) from payments where booking_id = $1", booking).await,
        count(
            pool,
            "select count(*) from ledger_transactions where booking_id = $1",
            booking,
        )
        .await,
    )
}

#[tokio::test]
async fn old_financial_records_are_purged_with_every_balance_brought_forward() {
    let p = start(None).await;
    let pool = &p.pool;
    let old_refunded = settled(&p, 3_000).await;
    let old_paid = settled(&p, 0).await;
    let old_owed = settled(&p, 0).await;
    let recent = settled(&p, 0).await;
    for b in [old_refunded, old_paid, old_owed] {
        backdate(pool, Some(b), SIX_YEARS + 10).await;
    }
    // A payout still owed keeps its booking's records, however old.
    sqlx::query("insert into payouts (booking_id, provider_id, amount_pence) values ($1, $2, 100)")
        .bind(old_owed)
        .bind(Uuid::new_v4())
        .execute(pool)
        .await
        .unwrap();
    let before = balances(pool).await;
    assert!(!before.is_empty());

    // One booking per batch: two batches purge, a third finds nothing.
    let mut batches = Vec::new();
    loop {
        let n = purge_financial_records(pool, SIX_YEARS, 1).await.unwrap();
        if n == 0 {
            break;
        }
        batches.push(n);
    }
    // Each batch: the payment and its ledger transactions (charge, and the
    // cancellation of the refunded one).
    batches.sort_unstable();
    assert_eq!(batches, vec![2, 3]);
    assert_eq!(kept(pool, old_refunded).await, (0, 0));
    assert_eq!(kept(pool, old_paid).await, (0, 0));
    assert_eq!(kept(pool, old_owed).await.0, 1);
    assert_eq!(kept(pool, recent).await, (1, 1));
    assert_eq!(balances(pool).await, before, "every account's balance is unchanged");
    p.ledger_is_balanced().await;
    let forward: i64 = sqlx::query_scalar("select count(*) from ledger_transactions where kind = 'brought_forward'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(forward, 2);

    // Brought forward six years ago, they are folded into one.
    backdate(pool, None, SIX_YEARS + 1).await;
    assert_eq!(purge_financial_records(pool, SIX_YEARS, 500).await.unwrap(), 2);
    let forward: Vec<Option<Uuid>> =
        sqlx::query_scalar("select booking_id from ledger_transactions where kind = 'brought_forward'")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(forward, vec![None]);
    assert_eq!(balances(pool).await, before);
    p.ledger_is_balanced().await;
}

#[tokio::test]
async fn the_ledger_stays_append_only_outside_the_purge_and_balanced_within_it() {
    let p = start(None).await;
    let pool = &p.pool;
    let booking = settled(&p, 0).await;
    let entry: i64 = sqlx::query_scalar(
        "select e.id from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
         where t.booking_id = $1 limit 1",
    )
    .bind(booking)
    .fetch_one(pool)
    .await
    .unwrap();
    // Outside the purge nothing is deleted or changed.
    for sql in [
        "delete from ledger_entries where id = $1",
        "update ledger_entries set amount_pence = amount_pence + 1 where id = $1",
    ] {
        let err = sqlx::query(sql).bind(entry).execute(pool).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    // With the purge's setting, an update is still refused, and deleting
    // part of a transaction fails at commit: what is left must balance.
    let mut tx = pool.begin().await.unwrap();
    db::retention::allow_ledger_purge(&mut tx).await.unwrap();
    let err = sqlx::query("update ledger_entries set amount_pence = 1 where id = $1")
        .bind(entry)
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    drop(tx);
    let mut tx = pool.begin().await.unwrap();
    db::retention::allow_ledger_purge(&mut tx).await.unwrap();
    sqlx::query("delete from ledger_entries where id = $1")
        .bind(entry)
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = tx.commit().await.unwrap_err();
    assert_eq!(
        roundabout_support::error::violated_constraint(&err),
        Some("ledger_entries_balance"),
        "{err}"
    );
    // The setting lasts for its own transaction only.
    let err = sqlx::query("delete from ledger_entries where id = $1")
        .bind(entry)
        .execute(pool)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(kept(pool, booking).await, (1, 1));
    p.ledger_is_balanced().await;
}

#[tokio::test]
async fn webhook_events_are_purged_once_applied_and_old() {
    let p = start(None).await;
    let pool = &p.pool;
    for (id, received, processed) in [
        ("evt_old_applied", 100, Some(100)),
        ("evt_old_unapplied", 100, None),
        ("evt_recent", 10, Some(10)),
    ] {
        sqlx::query(
            "insert into stripe_events (id, type, received_at, processed_at)
             values ($1, 'charge.refunded', now() - make_interval(days => $2), now() - make_interval(days => $3))",
        )
        .bind(id)
        .bind(received)
        .bind(processed)
        .execute(pool)
        .await
        .unwrap();
    }
    assert_eq!(db::retention::purge_stripe_events(pool, 90, 500).await.unwrap(), 1);
    assert_eq!(db::retention::purge_stripe_events(pool, 90, 500).await.unwrap(), 0);
    let left: Vec<String> = sqlx::query_scalar("select id from stripe_events order by id")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(left, vec!["evt_old_unapplied", "evt_recent"]);
}
