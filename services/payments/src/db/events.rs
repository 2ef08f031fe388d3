//! The Stripe events inbox: each event stored once, marked when processed.

use sqlx::PgExecutor;

/// Stores an event unless it is there already; `true` when stored now.
pub async fn insert(db: impl PgExecutor<'_>, id: &str, type_: &str, object_id: Option<&str>) -> sqlx::Result<bool> {
    let fresh = sqlx::query_scalar!(
        "insert into stripe_events (id, type, object_id) values ($1, $2, $3) on conflict (id) do nothing returning id",
        id,
        type_,
        object_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(fresh.is_some())
}

/// Whether a stored event has been processed.
pub async fn processed(db: impl PgExecutor<'_>, id: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select processed_at is not null as "processed!" from stripe_events where id = $1"#,
        id,
    )
    .fetch_one(db)
    .await
}

pub async fn mark_processed(db: impl PgExecutor<'_>, id: &str) -> sqlx::Result<()> {
    sqlx::query!("update stripe_events set processed_at = now() where id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

/// Events not yet processed, and the oldest one's seconds since receipt.
pub async fn backlog(db: impl PgExecutor<'_>) -> sqlx::Result<(i64, i64)> {
    let r = sqlx::query!(
        r#"select count(*) as "count!", coalesce(extract(epoch from now() - min(received_at))::bigint, 0) as "age!"
         from stripe_events where processed_at is null"#
    )
    .fetch_one(db)
    .await?;
    Ok((r.count, r.age))
}
