//! `provider_councils`: a provider's application in a council and the
//! officers' decision (PENDING, APPROVED, SUSPENDED).

use chrono::{DateTime, Utc};
use roundabout_api::inventory::{ApprovalData, CouncilProviderData};
use roundabout_api::states::ProviderStatus;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A provider's standing in a council as stored; the API shows it as
/// [`ApprovalData`].
#[derive(Debug, Clone)]
pub struct ApprovalRow {
    pub provider_id: Uuid,
    pub council_id: Uuid,
    pub status: ProviderStatus,
    pub applied_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The change that wrote this version (for the geo index).
    pub change_seq: i64,
}

impl From<ApprovalRow> for ApprovalData {
    fn from(a: ApprovalRow) -> Self {
        Self {
            provider_id: a.provider_id,
            council_id: a.council_id,
            status: a.status,
            applied_at: a.applied_at,
            updated_at: a.updated_at,
        }
    }
}

impl From<CouncilProviderRow> for CouncilProviderData {
    fn from(p: CouncilProviderRow) -> Self {
        Self {
            id: p.id,
            name: p.name,
            created_at: p.created_at,
            pickup_address: p.pickup_address,
            contact_phone: p.contact_phone,
            contact_email: p.contact_email,
            status: p.status,
        }
    }
}

/// Applies (PENDING) unless the provider already has a standing in the council.
pub async fn apply(db: impl PgExecutor<'_>, provider_id: Uuid, council_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into provider_councils (provider_id, council_id) values ($1, $2)
         on conflict (provider_id, council_id) do nothing",
        provider_id,
        council_id,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, provider_id: Uuid, council_id: Uuid) -> sqlx::Result<Option<ApprovalRow>> {
    sqlx::query_as!(
        ApprovalRow,
        r#"select provider_id, council_id, status as "status: ProviderStatus", applied_at, updated_at, change_seq
           from provider_councils where provider_id = $1 and council_id = $2"#,
        provider_id,
        council_id,
    )
    .fetch_optional(db)
    .await
}

/// Sets the status; `None` when the provider never applied to the council.
pub async fn decide(
    db: impl PgExecutor<'_>,
    provider_id: Uuid,
    council_id: Uuid,
    status: ProviderStatus,
    by: Option<Uuid>,
) -> sqlx::Result<Option<ApprovalRow>> {
    sqlx::query_as!(
        ApprovalRow,
        r#"update provider_councils set status = $3, decided_by = $4
           where provider_id = $1 and council_id = $2
           returning provider_id, council_id, status as "status: ProviderStatus", applied_at, updated_at, change_seq"#,
        provider_id,
        council_id,
        status.as_str(),
        by,
    )
    .fetch_optional(db)
    .await
}

/// A provider's standing in every council it applied to.
pub async fn of_provider(db: impl PgExecutor<'_>, provider_id: Uuid) -> sqlx::Result<Vec<ApprovalRow>> {
    sqlx::query_as!(
        ApprovalRow,
        r#"select provider_id, council_id, status as "status: ProviderStatus", applied_at, updated_at, change_seq
           from provider_councils where provider_id = $1 order by applied_at, council_id"#,
        provider_id,
    )
    .fetch_all(db)
    .await
}

/// The providers of a council, optionally of one status.
pub async fn of_council(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    status: Option<ProviderStatus>,
) -> sqlx::Result<Vec<ApprovalRow>> {
    sqlx::query_as!(
        ApprovalRow,
        r#"select provider_id, council_id, status as "status: ProviderStatus", applied_at, updated_at, change_seq
           from provider_councils
           where council_id = $1 and ($2::text is null or status = $2) order by applied_at, provider_id"#,
        council_id,
        status.map(ProviderStatus::as_str),
    )
    .fetch_all(db)
    .await
}

/// A provider with its standing in one council.
#[derive(Debug, Clone)]
pub struct CouncilProviderRow {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub pickup_address: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub status: ProviderStatus,
}

/// The providers that applied to a council, with their status.
pub async fn providers_of_council(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    status: Option<ProviderStatus>,
) -> sqlx::Result<Vec<CouncilProviderRow>> {
    sqlx::query_as!(
        CouncilProviderRow,
        r#"select p.id, p.name, p.created_at, p.pickup_address, p.contact_phone, p.contact_email,
                  pc.status as "status: ProviderStatus"
           from provider_councils pc join providers p on p.id = pc.provider_id
           where pc.council_id = $1 and ($2::text is null or pc.status = $2)
           order by p.name, p.id"#,
        council_id,
        status.map(ProviderStatus::as_str),
    )
    .fetch_all(db)
    .await
}
