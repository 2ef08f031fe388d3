//! The `events` table's queries (see [`crate::events`]): plain queries, as
//! for the outbox, because they run on whichever service's database
//! publishes events.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct Row {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// The oldest `limit` events not yet taken.
pub async fn untaken(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Row>> {
    sqlx::query_as("select id, kind, payload, occurred_at from events where taken_at is null order by seq limit $1")
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Marks `ids` taken; answers how many were not taken before.
pub async fn take(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<u64> {
    let r = sqlx::query("update events set taken_at = now() where id = any($1) and taken_at is null")
        .bind(ids)
        .execute(db)
        .await?;
    Ok(r.rows_affected())
}

/// Events waiting: how many, and the oldest one's age in seconds.
pub async fn backlog(db: impl PgExecutor<'_>) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "select count(*), coalesce(extract(epoch from now() - min(occurred_at))::bigint, 0)
         from events where taken_at is null",
    )
    .fetch_one(db)
    .await
}

/// Deletes at most `limit` events taken more than `days` days ago.
pub async fn purge_taken(db: impl PgExecutor<'_>, days: i32, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query(
        "delete from events where seq in (
            select seq from events where taken_at < now() - make_interval(days => $1) limit $2)",
    )
    .bind(days)
    .bind(limit)
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
