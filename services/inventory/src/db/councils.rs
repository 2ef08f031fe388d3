//! `council_areas`: inventory's read-only copy of eligibility's councils.
//!
//! Boundaries never change once a council exists, so a cached row is never
//! stale; a council is fetched from eligibility the first time it is needed.

use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct CouncilAreaRow {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub boundary: serde_json::Value,
    pub min_lon: f64,
    pub min_lat: f64,
    pub max_lon: f64,
    pub max_lat: f64,
}

/// Stores a council unless it is cached already.
pub async fn insert_if_absent(db: impl PgExecutor<'_>, c: &CouncilAreaRow) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into council_areas (id, code, name, boundary, min_lon, min_lat, max_lon, max_lat)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing",
        c.id,
        c.code,
        c.name,
        c.boundary,
        c.min_lon,
        c.min_lat,
        c.max_lon,
        c.max_lat,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<CouncilAreaRow>> {
    sqlx::query_as!(
        CouncilAreaRow,
        "select id, code, name, boundary, min_lon, min_lat, max_lon, max_lat from council_areas where id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CouncilAreaRow>> {
    sqlx::query_as!(
        CouncilAreaRow,
        "select id, code, name, boundary, min_lon, min_lat, max_lon, max_lat from council_areas"
    )
    .fetch_all(db)
    .await
}
