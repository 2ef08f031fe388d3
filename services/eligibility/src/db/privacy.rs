//! What eligibility holds about one household, for its export, and the
//! erasure of it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// An eligibility decision as stored: the scheme version it was made
/// under, the answer, each criterion's reason and the facts it read.
#[derive(Debug, Serialize)]
pub struct DecisionRecord {
    pub scheme_id: Uuid,
    pub scheme_version: i32,
    pub eligible: bool,
    pub reasons: serde_json::Value,
    pub facts: Option<serde_json::Value>,
    pub purpose: String,
    pub decided_at: DateTime<Utc>,
}

/// A read of the household's answers by someone other than the household.
#[derive(Debug, Serialize)]
pub struct ProfileReadRecord {
    pub reader_kind: String,
    pub reader_name: Option<String>,
    pub read_at: DateTime<Utc>,
}

pub async fn decisions(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<DecisionRecord>> {
    sqlx::query_as!(
        DecisionRecord,
        "select scheme_id, scheme_version, eligible, reasons, facts, purpose, decided_at
           from eligibility_decisions where household_id = $1 order by id",
        household_id,
    )
    .fetch_all(db)
    .await
}

pub async fn profile_reads(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<ProfileReadRecord>> {
    sqlx::query_as!(
        ProfileReadRecord,
        "select reader_kind, reader_name, read_at from profile_reads where household_id = $1 order by id",
        household_id,
    )
    .fetch_all(db)
    .await
}

/// Removes the household's profile, decisions and profile reads and marks
/// it erased; returns the rows removed (0 when already erased).
pub async fn erase(conn: &mut PgConnection, household_id: Uuid) -> sqlx::Result<u64> {
    let reads = sqlx::query!("delete from profile_reads where household_id = $1", household_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let decisions = sqlx::query!(
        "delete from eligibility_decisions where household_id = $1",
        household_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let profile = sqlx::query!("delete from household_profiles where household_id = $1", household_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query!(
        "update households set erased_at = coalesce(erased_at, now()) where id = $1",
        household_id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(reads + decisions + profile)
}
