//! The `assisted_actions` audit log, and finding a council's household
//! accounts (see `schema::assisted`).

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::schema::acting::{AssistedActionKind, AssistedActionOutcome};

/// One assisted action as the log keeps it.
#[derive(Debug, Clone)]
pub struct AssistedActionRow {
    pub id: i64,
    pub officer_user_id: Uuid,
    pub officer_name: String,
    pub council_id: Uuid,
    pub household_id: Uuid,
    pub action: AssistedActionKind,
    pub target_id: Option<Uuid>,
    pub outcome: AssistedActionOutcome,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Writes an action PENDING; answers its id.
pub async fn insert(
    db: impl PgExecutor<'_>,
    officer_user_id: Uuid,
    officer_name: &str,
    council_id: Uuid,
    household_id: Uuid,
    action: AssistedActionKind,
    target: Option<Uuid>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "insert into assisted_actions (officer_user_id, officer_name, council_id, household_id, action, target_id)
         values ($1, $2, $3, $4, $5, $6) returning id",
        officer_user_id,
        officer_name,
        council_id,
        household_id,
        action as _,
        target,
    )
    .fetch_one(db)
    .await
}

/// Marks an action's outcome.
pub async fn finish(
    db: impl PgExecutor<'_>,
    id: i64,
    outcome: AssistedActionOutcome,
    target: Option<Uuid>,
    detail: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update assisted_actions set outcome = $2, target_id = coalesce($3, target_id), detail = $4,
            finished_at = now() where id = $1",
        id,
        outcome as _,
        target,
        detail,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A council's actions, newest first, before id `before`, optionally of one
/// household; at most `limit`.
pub async fn page(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    household_id: Option<Uuid>,
    before: i64,
    limit: i64,
) -> sqlx::Result<Vec<AssistedActionRow>> {
    sqlx::query_as!(
        AssistedActionRow,
        r#"select id, officer_user_id, officer_name, council_id, household_id,
            action as "action: AssistedActionKind", target_id, outcome as "outcome: AssistedActionOutcome",
            detail, at, finished_at
         from assisted_actions
         where council_id = $1 and ($2::uuid is null or household_id = $2) and id < $3
         order by id desc limit $4"#,
        council_id,
        household_id,
        before,
        limit,
    )
    .fetch_all(db)
    .await
}

/// How many actions [`page`] pages through.
pub async fn count(db: impl PgExecutor<'_>, council_id: Uuid, household_id: Option<Uuid>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from assisted_actions
         where council_id = $1 and ($2::uuid is null or household_id = $2)"#,
        council_id,
        household_id,
    )
    .fetch_one(db)
    .await
}

/// A council's household memberships after `after` (in sign-up order) whose
/// email or lower-cased name is `like` `pattern` (any when `None`), at most
/// `limit`: each membership's position and household.
pub async fn households(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    pattern: Option<&str>,
    after: i64,
    limit: i64,
) -> sqlx::Result<Vec<(i64, Uuid)>> {
    let rows = sqlx::query!(
        r#"select m.id, m.household_id as "household_id!"
         from memberships m join users u on u.id = m.user_id
         where m.role = 'HOUSEHOLD' and m.council_id = $1
           and ($2::text is null or u.email like $2 or lower(coalesce(u.display_name, '')) like $2)
           and m.id > $3 order by m.id limit $4"#,
        council_id,
        pattern,
        after,
        limit,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.household_id)).collect())
}

/// How many memberships [`households`] pages through.
pub async fn count_households(db: impl PgExecutor<'_>, council_id: Uuid, pattern: Option<&str>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!"
         from memberships m join users u on u.id = m.user_id
         where m.role = 'HOUSEHOLD' and m.council_id = $1
           and ($2::text is null or u.email like $2 or lower(coalesce(u.display_name, '')) like $2)"#,
        council_id,
        pattern,
    )
    .fetch_one(db)
    .await
}

/// The email and name of a household's (first) account.
pub async fn household_contact(
    db: impl PgExecutor<'_>,
    household_id: Uuid,
) -> sqlx::Result<Option<(String, Option<String>)>> {
    let row = sqlx::query!(
        "select u.email, u.display_name from memberships m join users u on u.id = m.user_id
         where m.role = 'HOUSEHOLD' and m.household_id = $1 order by m.id limit 1",
        household_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.email, r.display_name)))
}
