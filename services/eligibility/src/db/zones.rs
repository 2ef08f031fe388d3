//! The `zones` table.

use chrono::{DateTime, Utc};
use roundabout_api::eligibility::ZoneData;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::geometry::BBox;

/// As stored; the internal API shows it as [`ZoneData`].
#[derive(Debug, Clone)]
pub struct ZoneRow {
    pub id: Uuid,
    pub council_id: Uuid,
    pub name: String,
    pub geometry: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<ZoneRow> for ZoneData {
    fn from(r: ZoneRow) -> Self {
        Self {
            id: r.id,
            council_id: r.council_id,
            name: r.name,
            geometry: r.geometry,
            created_at: r.created_at,
        }
    }
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    id: Uuid,
    council_id: Uuid,
    name: &str,
    geometry: &serde_json::Value,
    bbox: BBox,
) -> sqlx::Result<ZoneRow> {
    let (min_lon, min_lat, max_lon, max_lat) = bbox;
    sqlx::query_as!(
        ZoneRow,
        "insert into zones (id, council_id, name, geometry, min_lon, min_lat, max_lon, max_lat)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id, council_id, name, geometry, created_at",
        id,
        council_id,
        name,
        geometry,
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    )
    .fetch_one(db)
    .await
}

pub async fn of_council(db: impl PgExecutor<'_>, council_id: Uuid) -> sqlx::Result<Vec<ZoneRow>> {
    sqlx::query_as!(
        ZoneRow,
        "select id, council_id, name, geometry, created_at from zones where council_id = $1 order by name, id",
        council_id,
    )
    .fetch_all(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<ZoneRow>> {
    sqlx::query_as!(
        ZoneRow,
        "select id, council_id, name, geometry, created_at from zones where id = any($1) order by name, id",
        ids,
    )
    .fetch_all(db)
    .await
}
