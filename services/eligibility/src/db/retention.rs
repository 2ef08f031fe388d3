//! Retention: councils' own periods (`council_retention`) and the purges of
//! this service's personal records, eligibility decisions and profile reads.
//!
//! A purge deletes at most `limit` rows whose age passes their council's
//! period (its own, else `default_days`). The rows are found through the
//! index on their time: the shortest period any council has is taken
//! first (one init-plan), so only rows older than that are looked at.

use roundabout_api::{retention::CouncilPeriodData, states::RetentionKind};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// The council's own periods.
pub async fn of_council(db: impl PgExecutor<'_>, council_id: Uuid) -> sqlx::Result<Vec<(RetentionKind, i32)>> {
    let rows = sqlx::query!(
        r#"select kind as "kind: RetentionKind", days from council_retention where council_id = $1"#,
        council_id,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.kind, r.days)).collect())
}

/// Every council's own periods.
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CouncilPeriodData>> {
    sqlx::query_as!(
        CouncilPeriodData,
        r#"select council_id, kind as "kind: RetentionKind", days from council_retention order by council_id, kind"#,
    )
    .fetch_all(db)
    .await
}

/// Sets the council's own period for `kind`, or with `None` returns it to
/// the default.
pub async fn set(
    conn: &mut PgConnection,
    council_id: Uuid,
    kind: RetentionKind,
    days: Option<i32>,
    by: Option<Uuid>,
) -> sqlx::Result<()> {
    match days {
        Some(days) => {
            sqlx::query!(
                "insert into council_retention (council_id, kind, days, updated_by) values ($1, $2, $3, $4)
                 on conflict (council_id, kind) do update set days = $3, updated_by = $4, updated_at = now()",
                council_id,
                kind as _,
                days,
                by,
            )
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query!(
                "delete from council_retention where council_id = $1 and kind = $2",
                council_id,
                kind as _,
            )
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

/// Deletes at most `limit` eligibility decisions older than their council's period.
pub async fn purge_decisions(db: impl PgExecutor<'_>, default_days: i32, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "delete from eligibility_decisions where id in (
            select d.id from eligibility_decisions d
            join households h on h.id = d.household_id
            left join council_retention r on r.council_id = h.council_id and r.kind = 'ELIGIBILITY_DECISIONS'
            where d.decided_at < now() - make_interval(days => (
                    select least($1::int, min(days)) from council_retention where kind = 'ELIGIBILITY_DECISIONS'))
              and d.decided_at < now() - make_interval(days => coalesce(r.days, $1::int))
            limit $2)",
        default_days,
        limit,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes at most `limit` records of profile reads older than their council's period.
pub async fn purge_profile_reads(db: impl PgExecutor<'_>, default_days: i32, limit: i64) -> sqlx::Result<u64> {
    let r = sqlx::query!(
        "delete from profile_reads where id in (
            select p.id from profile_reads p
            join households h on h.id = p.household_id
            left join council_retention r on r.council_id = h.council_id and r.kind = 'PROFILE_READS'
            where p.read_at < now() - make_interval(days => (
                    select least($1::int, min(days)) from council_retention where kind = 'PROFILE_READS'))
              and p.read_at < now() - make_interval(days => coalesce(r.days, $1::int))
            limit $2)",
        default_days,
        limit,
    )
    .execute(db)
    .await?;
    Ok(r.rows_affected())
}
