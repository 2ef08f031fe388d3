//! The `sessions` table: one row per signed-in session, named by its token.

use sqlx::PgExecutor;
use uuid::Uuid;

/// Starts a session for `user_id` lasting `ttl_secs`.
pub async fn start(db: impl PgExecutor<'_>, session_id: Uuid, user_id: Uuid, ttl_secs: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into sessions (id, user_id, expires_at) values ($1, $2, now() + make_interval(secs => $3::double precision))",
        session_id,
        user_id,
        ttl_secs as f64,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Ends one session of `user_id`; the number ended (0 when it had ended already).
pub async fn end(db: impl PgExecutor<'_>, user_id: Uuid, session_id: Uuid) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "update sessions set ended_at = now() where id = $1 and user_id = $2 and ended_at is null",
        session_id,
        user_id,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// Ends every live session of `user_id` except `keep`; the number ended.
pub async fn end_all(db: impl PgExecutor<'_>, user_id: Uuid, keep: Option<Uuid>) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "update sessions set ended_at = now()
         where user_id = $1 and ended_at is null and expires_at > now() and id is distinct from $2",
        user_id,
        keep,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes sessions that ended or expired more than `keep_secs` ago, at most
/// `batch` rows; the number deleted.
pub async fn purge(db: impl PgExecutor<'_>, keep_secs: i64, batch: i64) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "delete from sessions where id in (
            select id from sessions
            where coalesce(ended_at, expires_at) < now() - make_interval(secs => $1::double precision)
              and (ended_at is not null or expires_at < now())
            limit $2)",
        keep_secs as f64,
        batch,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
