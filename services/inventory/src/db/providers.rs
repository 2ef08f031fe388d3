//! The `providers` table.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ProviderRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Inserts the provider unless one with this id exists; returns the stored row.
pub async fn insert_if_absent(db: impl PgExecutor<'_> + Copy, id: Uuid, name: &str) -> sqlx::Result<ProviderRow> {
    sqlx::query("insert into providers (id, name) values ($1, $2) on conflict (id) do nothing")
        .bind(id)
        .bind(name)
        .execute(db)
        .await?;
    get(db, id).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<ProviderRow>> {
    sqlx::query_as("select id, name, created_at from providers where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<ProviderRow>> {
    sqlx::query_as("select id, name, created_at from providers where id = any($1) order by id")
        .bind(ids)
        .fetch_all(db)
        .await
}
