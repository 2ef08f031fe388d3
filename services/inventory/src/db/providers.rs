//! The `providers` table.

use chrono::{DateTime, Utc};
use roundabout_api::inventory::ProviderData;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::provider::Contact;

/// A provider as stored; the internal API shows it as [`ProviderData`].
#[derive(Debug, Clone)]
pub struct ProviderRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub pickup_address: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
}

impl From<ProviderRow> for ProviderData {
    fn from(p: ProviderRow) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            pickup_address: p.pickup_address,
            contact_phone: p.contact_phone,
            contact_email: p.contact_email,
        }
    }
}

/// Inserts the provider unless one with this id exists; returns the stored row.
pub async fn insert_if_absent(db: impl PgExecutor<'_> + Copy, id: Uuid, name: &str) -> sqlx::Result<ProviderRow> {
    sqlx::query!(
        "insert into providers (id, name) values ($1, $2) on conflict (id) do nothing",
        id,
        name,
    )
    .execute(db)
    .await?;
    get(db, id).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<ProviderRow>> {
    sqlx::query_as!(
        ProviderRow,
        "select id, name, created_at, pickup_address, contact_phone, contact_email from providers where id = $1",
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<ProviderRow>> {
    sqlx::query_as!(
        ProviderRow,
        "select id, name, created_at, pickup_address, contact_phone, contact_email
         from providers where id = any($1) order by id",
        ids,
    )
    .fetch_all(db)
    .await
}

/// Replaces the provider's contact details; `None` if there is no such provider.
pub async fn set_contact(db: impl PgExecutor<'_>, id: Uuid, c: &Contact) -> sqlx::Result<Option<ProviderRow>> {
    sqlx::query_as!(
        ProviderRow,
        "update providers set pickup_address = $2, contact_phone = $3, contact_email = $4 where id = $1
         returning id, name, created_at, pickup_address, contact_phone, contact_email",
        id,
        c.pickup_address,
        c.phone,
        c.email,
    )
    .fetch_optional(db)
    .await
}
