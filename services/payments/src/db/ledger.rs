//! The ledger tables: transactions recorded once per idempotency key.

use roundabout_api::Pence;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::ledger::Transaction;

/// Records `t` unless a transaction with `key` exists; `true` when recorded.
/// Must run inside the caller's transaction (the balance check is deferred
/// to its commit).
pub async fn record(
    conn: &mut PgConnection,
    booking_id: Option<Uuid>,
    key: &str,
    t: &Transaction,
) -> sqlx::Result<bool> {
    let id = sqlx::query_scalar!(
        "insert into ledger_transactions (booking_id, kind, idempotency_key) values ($1, $2, $3)
         on conflict (idempotency_key) do nothing returning id",
        booking_id,
        t.kind,
        key,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(false) };
    let accounts: Vec<String> = t.entries.iter().map(|e| e.account.clone()).collect();
    let amounts: Vec<i64> = t.entries.iter().map(|e| e.amount.get()).collect();
    sqlx::query!(
        "insert into ledger_entries (transaction_id, account, amount_pence)
         select $1, a, n from unnest($2::text[], $3::bigint[]) as x(a, n)",
        id,
        &accounts,
        &amounts,
    )
    .execute(conn)
    .await?;
    Ok(true)
}

pub async fn exists(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists(select 1 from ledger_transactions where idempotency_key = $1) as "exists!""#,
        key,
    )
    .fetch_one(db)
    .await
}

/// Balances per account over a booking's transactions.
pub async fn booking_balances(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Vec<(String, Pence)>> {
    let rows = sqlx::query!(
        r#"select e.account, sum(e.amount_pence)::bigint as "balance!: Pence" from ledger_entries e
         join ledger_transactions t on t.id = e.transaction_id
         where t.booking_id = $1 group by e.account order by e.account"#,
        booking_id,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.account, r.balance)).collect())
}

/// The balance of one account over a booking's transactions.
pub async fn booking_account_balance(db: impl PgExecutor<'_>, booking_id: Uuid, account: &str) -> sqlx::Result<Pence> {
    sqlx::query_scalar!(
        r#"select coalesce(sum(e.amount_pence), 0)::bigint as "balance!: Pence" from ledger_entries e
         join ledger_transactions t on t.id = e.transaction_id
         where t.booking_id = $1 and e.account = $2"#,
        booking_id,
        account,
    )
    .fetch_one(db)
    .await
}

/// Transactions whose entries do not sum to zero (there should be none).
pub async fn unbalanced(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar!(
        "select t.id from ledger_transactions t left join ledger_entries e on e.transaction_id = t.id
         group by t.id having coalesce(sum(e.amount_pence), 0) <> 0",
    )
    .fetch_all(db)
    .await
}
