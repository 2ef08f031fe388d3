//! The `zones` table.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::geometry::BBox;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ZoneRow {
    pub id: Uuid,
    pub council_id: Uuid,
    pub name: String,
    pub geometry: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, council_id, name, geometry, created_at";

pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    council_id: Uuid,
    name: &str,
    geometry: &serde_json::Value,
    bbox: BBox,
) -> sqlx::Result<ZoneRow> {
    let (min_lon, min_lat, max_lon, max_lat) = bbox;
    sqlx::query_as(&format!(
        "insert into zones (id, council_id, name, geometry, min_lon, min_lat, max_lon, max_lat)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning {COLUMNS}"
    ))
    .bind(id)
    .bind(council_id)
    .bind(name)
    .bind(geometry)
    .bind(min_lon)
    .bind(min_lat)
    .bind(max_lon)
    .bind(max_lat)
    .fetch_one(db)
    .await
}

pub async fn of_council(db: impl PgExecutor<'_>, council_id: Uuid) -> sqlx::Result<Vec<ZoneRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from zones where council_id = $1 order by name, id"
    ))
    .bind(council_id)
    .fetch_all(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<ZoneRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from zones where id = any($1) order by name, id"
    ))
    .bind(ids)
    .fetch_all(db)
    .await
}
