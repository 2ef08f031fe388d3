//! The `councils` table.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::geometry::BBox;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CouncilRow {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub boundary: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// How residents reach the council about its schemes.
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

const COLUMNS: &str = "id, name, code, boundary, created_at, contact_email, contact_phone";

pub struct NewCouncil<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub code: &'a str,
    pub boundary: &'a serde_json::Value,
    pub bbox: BBox,
}

/// Inserts a council; `Ok(false)` when one with this id already exists.
pub async fn insert(db: impl PgExecutor<'_>, c: &NewCouncil<'_>) -> sqlx::Result<bool> {
    let (min_lon, min_lat, max_lon, max_lat) = c.bbox;
    let done = sqlx::query(
        "insert into councils (id, name, code, boundary, min_lon, min_lat, max_lon, max_lat)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing",
    )
    .bind(c.id)
    .bind(c.name)
    .bind(c.code)
    .bind(c.boundary)
    .bind(min_lon)
    .bind(min_lat)
    .bind(max_lon)
    .bind(max_lat)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<CouncilRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from councils where id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<CouncilRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from councils where id = any($1) order by name, id"
    ))
    .bind(ids)
    .fetch_all(db)
    .await
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CouncilRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from councils order by name, id"))
        .fetch_all(db)
        .await
}

/// Replaces the council's contact details; `None` if there is no such council.
pub async fn set_contact(
    db: impl PgExecutor<'_>,
    id: Uuid,
    email: Option<&str>,
    phone: Option<&str>,
) -> sqlx::Result<Option<CouncilRow>> {
    sqlx::query_as(
        "update councils set contact_email = $2, contact_phone = $3 where id = $1
         returning id, name, code, boundary, created_at, contact_email, contact_phone",
    )
    .bind(id)
    .bind(email)
    .bind(phone)
    .fetch_optional(db)
    .await
}
