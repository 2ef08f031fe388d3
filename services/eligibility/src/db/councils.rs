//! The `councils` table.

use chrono::{DateTime, Utc};
use roundabout_api::eligibility::CouncilData;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::{council::CouncilDetails, geometry::BBox};

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
    /// What the privacy notice and the accessibility statement name.
    pub data_protection_officer: Option<String>,
    pub data_protection_email: Option<String>,
    pub postal_address: Option<String>,
    pub accessibility_email: Option<String>,
    pub accessibility_phone: Option<String>,
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
            data_protection_officer: r.data_protection_officer,
            data_protection_email: r.data_protection_email,
            postal_address: r.postal_address,
            accessibility_email: r.accessibility_email,
            accessibility_phone: r.accessibility_phone,
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
        "select id, name, code, boundary, created_at, contact_email, contact_phone,
                data_protection_officer, data_protection_email, postal_address, accessibility_email, accessibility_phone
         from councils where id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<CouncilRow>> {
    sqlx::query_as!(
        CouncilRow,
        "select id, name, code, boundary, created_at, contact_email, contact_phone,
                data_protection_officer, data_protection_email, postal_address, accessibility_email, accessibility_phone
         from councils where id = any($1) order by name, id",
        ids,
    )
    .fetch_all(db)
    .await
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CouncilRow>> {
    sqlx::query_as!(
        CouncilRow,
        "select id, name, code, boundary, created_at, contact_email, contact_phone,
                data_protection_officer, data_protection_email, postal_address, accessibility_email, accessibility_phone
         from councils order by name, id"
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
         returning id, name, code, boundary, created_at, contact_email, contact_phone,
                data_protection_officer, data_protection_email, postal_address, accessibility_email, accessibility_phone",
        id,
        email,
        phone,
    )
    .fetch_optional(db)
    .await
}

/// Replaces every detail the council's officers give for residents
/// ([`CouncilDetails`]); `None` if there is no such council.
pub async fn set_details(db: impl PgExecutor<'_>, id: Uuid, d: &CouncilDetails) -> sqlx::Result<Option<CouncilRow>> {
    sqlx::query_as!(
        CouncilRow,
        "update councils set contact_email = $2, contact_phone = $3, data_protection_officer = $4,
                data_protection_email = $5, postal_address = $6, accessibility_email = $7, accessibility_phone = $8
         where id = $1
         returning id, name, code, boundary, created_at, contact_email, contact_phone,
                data_protection_officer, data_protection_email, postal_address, accessibility_email, accessibility_phone",
        id,
        d.email,
        d.phone,
        d.data_protection_officer,
        d.data_protection_email,
        d.postal_address,
        d.accessibility_email,
        d.accessibility_phone,
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
