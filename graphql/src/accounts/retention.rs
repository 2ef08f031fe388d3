//! Retention of the audit log of assisted actions (sessions and sign-in
//! counts have their purges beside their other queries).

use sqlx::PgExecutor;
use uuid::Uuid;

/// Deletes at most `limit` audit entries older than their council's period:
/// `councils` with `days` have their own, every other council `default_days`.
pub async fn purge_assisted_actions(
    db: impl PgExecutor<'_>,
    default_days: i32,
    councils: &[Uuid],
    days: &[i32],
    limit: i64,
) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "with own as (select * from unnest($2::uuid[], $3::int[]) as o(council_id, days))
         delete from assisted_actions where id in (
            select a.id from assisted_actions a
            left join own on own.council_id = a.council_id
            where a.at < now() - make_interval(days => (select least($1::int, min(days)) from own))
              and a.at < now() - make_interval(days => coalesce(own.days, $1::int))
            limit $4)",
        default_days,
        councils,
        days,
        limit,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
