//! The `councils` table.

use chrono::{DateTime, Utc};
use roundabout_api::eligibility::CouncilData;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::geometry::BBox;

/// As stored; the internal API shows it as [`CouncilData`].
#[derive(Debug, Clone)]
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

impl From<CouncilRow> for CouncilData {
    fn from(r: CouncilRow) -> Self {
        Self {
            id: r.id,
            name: r.name,
            code: r.code,
            boundary: r.boundary,
            created_at: r.created_at,
            contact_email: r.contact_email,
            contact_phone: r.contact_phone,
        }
    }
}

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
    let done = sqlx::query!(
        "insert into councils (id, name, code, boundary, min_lon, min_lat, max_lon, max_lat)
         values ($1, $2, $3, $4, $5, $6, $7, $8) on conflict (id) do nothing",
        c.id,
        c.name,
        c.code,
        c.boundary,
        min_lon,
        min_lat,
        max_lon,
        max_lat,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<CouncilRow>> {
    sqlx::query_as!(
        CouncilRow,
        "select id, name, code, boundary, created_at, contact_email, contact_phone from councils where id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<CouncilRow>> {
    sqlx::query_as!(
        CouncilRow,
        "select id, name, code, boundary, created_at, contact_email, contact_phone
         from councils where id = any($1) order by name, id",
        ids,
    )
    .fetch_all(db)
    .await
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CouncilRow>> {
    sqlx::query_as!(
        CouncilRow,
        "select id, name, code, boundary, created_at, contact_email, contact_phone from councils order by name, id"
    )
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
    sqlx::query_as!(
        CouncilRow,
        "update councils set contact_email = $2, contact_phone = $3 where id = $1
         returning id, name, code, boundary, created_at, contact_email, contact_phone",
        id,
        email,
        phone,
    )
    .fetch_optional(db)
    .await
}

/// Share-locks the council's row for the transaction: profile updates take
/// it, so a zone being drawn ([`lock_for_zones`]) waits for them or they
/// wait for it.
pub async fn lock_for_profiles(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query_scalar!("select id from councils where id = $1 for share", id)
        .fetch_optional(db)
        .await?;
    Ok(())
}

/// Locks the council's row for update: zone creation takes it, so no
/// profile update of the council runs at the same time.
pub async fn lock_for_zones(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query_scalar!("select id from councils where id = $1 for update", id)
        .fetch_optional(db)
        .await?;
    Ok(())
}
