//! Processor customers (households) and connected accounts (providers).

use sqlx::PgExecutor;
use uuid::Uuid;

pub async fn customer(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "select customer_id from stripe_customers where household_id = $1",
        household_id
    )
    .fetch_optional(db)
    .await
}

pub async fn save_customer(db: impl PgExecutor<'_>, household_id: Uuid, customer_id: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into stripe_customers (household_id, customer_id) values ($1, $2) on conflict do nothing",
        household_id,
        customer_id,
    )
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnectedAccount {
    pub provider_id: Uuid,
    pub account_id: String,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
}

pub async fn account(db: impl PgExecutor<'_>, provider_id: Uuid) -> sqlx::Result<Option<ConnectedAccount>> {
    sqlx::query_as!(
        ConnectedAccount,
        "select provider_id, account_id, charges_enabled, payouts_enabled from connected_accounts where provider_id = $1",
        provider_id,
    )
    .fetch_optional(db)
    .await
}

pub async fn accounts(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<ConnectedAccount>> {
    sqlx::query_as!(
        ConnectedAccount,
        "select provider_id, account_id, charges_enabled, payouts_enabled from connected_accounts where provider_id = any($1)",
        ids,
    )
    .fetch_all(db)
    .await
}

pub async fn save_account(db: impl PgExecutor<'_>, a: &ConnectedAccount) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into connected_accounts (provider_id, account_id, charges_enabled, payouts_enabled) values ($1, $2, $3, $4)
         on conflict (provider_id) do update set charges_enabled = excluded.charges_enabled,
             payouts_enabled = excluded.payouts_enabled, updated_at = now()",
        a.provider_id,
        a.account_id,
        a.charges_enabled,
        a.payouts_enabled,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn update_account_state(
    db: impl PgExecutor<'_>,
    account_id: &str,
    charges: bool,
    payouts: bool,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "update connected_accounts set charges_enabled = $2, payouts_enabled = $3, updated_at = now()
         where account_id = $1 returning provider_id",
        account_id,
        charges,
        payouts,
    )
    .fetch_optional(db)
    .await
}
