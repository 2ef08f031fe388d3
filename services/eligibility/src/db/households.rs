//! The `households` table.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct HouseholdRow {
    pub id: Uuid,
    pub council_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// Inserts the household unless it exists; returns the stored row.
pub async fn insert_if_absent(
    db: impl PgExecutor<'_> + Copy,
    id: Uuid,
    council_id: Uuid,
) -> sqlx::Result<HouseholdRow> {
    sqlx::query!(
        "insert into households (id, council_id) values ($1, $2) on conflict (id) do nothing",
        id,
        council_id,
    )
    .execute(db)
    .await?;
    get(db, id).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<HouseholdRow>> {
    sqlx::query_as!(
        HouseholdRow,
        "select id, council_id, created_at from households where id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}
