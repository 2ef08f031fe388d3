//! The `outbox` table's queries (see [`crate::outbox`]). Every service's
//! first migration creates the same table; the queries run on whichever
//! service's database the pool is for (see the parent module on why they
//! are not compile-checked macros).

use sqlx::{PgConnection, PgExecutor};

/// A message due for delivery.
#[derive(sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub destination: String,
    pub path: String,
    pub payload: serde_json::Value,
    pub idempotency_key: String,
    pub attempts: i32,
}

/// Writes a message unless one with its idempotency key is there already.
pub async fn insert(
    conn: &mut PgConnection,
    destination: &str,
    path: &str,
    payload: &serde_json::Value,
    idempotency_key: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into outbox (destination, path, payload, idempotency_key) values ($1, $2, $3, $4)
         on conflict (idempotency_key) do nothing",
    )
    .bind(destination)
    .bind(path)
    .bind(payload)
    .bind(idempotency_key)
    .execute(conn)
    .await?;
    Ok(())
}

/// Claims up to `limit` due messages until the transaction ends, skipping
/// those another relay holds.
pub async fn claim_due(conn: &mut PgConnection, limit: i64) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as(
        "select id, destination, path, payload, idempotency_key, attempts from outbox
         where delivered_at is null and dead_at is null and next_attempt_at <= now()
         order by id limit $1 for update skip locked",
    )
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Marks a message delivered.
pub async fn delivered(conn: &mut PgConnection, id: i64) -> sqlx::Result<()> {
    sqlx::query("update outbox set delivered_at = now(), attempts = attempts + 1, last_error = null where id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a failed attempt: the next one after `delay_secs`, or none if
/// `dead`.
pub async fn failed(conn: &mut PgConnection, id: i64, reason: &str, delay_secs: f64, dead: bool) -> sqlx::Result<()> {
    sqlx::query(
        "update outbox set attempts = attempts + 1, last_error = $2,
            next_attempt_at = now() + make_interval(secs => $3),
            dead_at = case when $4 then now() end
         where id = $1",
    )
    .bind(id)
    .bind(reason)
    .bind(delay_secs)
    .bind(dead)
    .execute(conn)
    .await?;
    Ok(())
}

/// Per destination: messages waiting and the oldest one's age in seconds.
pub async fn pending(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, i64, i64)>> {
    sqlx::query_as(
        "select destination, count(*), coalesce(extract(epoch from now() - min(created_at))::bigint, 0)
         from outbox where delivered_at is null and dead_at is null group by destination",
    )
    .fetch_all(db)
    .await
}

/// Deletes at most `limit` messages delivered more than `days` days ago.
pub async fn purge_delivered(db: impl PgExecutor<'_>, days: i32, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "delete from outbox where id in (
            select id from outbox where delivered_at < now() - make_interval(days => $1) limit $2)",
    )
    .bind(days)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes at most `limit` messages given up (dead) more than `days` days ago.
pub async fn purge_dead(db: impl PgExecutor<'_>, days: i32, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "delete from outbox where id in (
            select id from outbox where delivered_at is null and dead_at < now() - make_interval(days => $1) limit $2)",
    )
    .bind(days)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
