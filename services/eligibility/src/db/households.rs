//! The `households` table.

use chrono::{DateTime, Utc};
use roundabout_api::eligibility::HouseholdData;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A household as stored; the API shows it as [`HouseholdData`].
#[derive(Debug, Clone)]
pub struct HouseholdRow {
    pub id: Uuid,
    pub council_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl From<HouseholdRow> for HouseholdData {
    fn from(h: HouseholdRow) -> Self {
        Self {
            id: h.id,
            council_id: h.council_id,
            created_at: h.created_at,
        }
    }
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
