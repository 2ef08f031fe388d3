//! A household's payments and ledger lines for its export, and what
//! erasure removes from them.

use chrono::{DateTime, Utc};
use roundabout_api::{
    states::{BookingKind, PaymentMethodKind, PaymentState},
    Pence,
};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::payments::PaymentRow;

/// Every payment of the household's bookings, oldest first.
pub async fn household_payments(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as!(
        PaymentRow,
        r#"select booking_id, household_id, provider_id, council_id, kind as "kind: BookingKind",
            method as "method: PaymentMethodKind", status as "status: PaymentState", currency,
            base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            amount_pence as "amount_pence: Pence", platform_fee_pence as "platform_fee_pence: Pence",
            refunded_pence as "refunded_pence: Pence", payment_method, stripe_customer,
            stripe_intent_id, client_secret, destination_account, failure_code, failure_message, request_digest,
            created_at, updated_at
         from payments where household_id = $1 order by created_at, booking_id"#,
        household_id,
    )
    .fetch_all(db)
    .await
}

/// A ledger line on an account that names the household.
#[derive(Debug, Serialize)]
pub struct LedgerLine {
    pub booking_id: Option<Uuid>,
    pub kind: String,
    pub account: String,
    pub amount_pence: Pence,
    pub currency: String,
    pub recorded_at: DateTime<Utc>,
}

pub async fn ledger_lines(db: impl PgExecutor<'_>, account: &str) -> sqlx::Result<Vec<LedgerLine>> {
    sqlx::query_as!(
        LedgerLine,
        r#"select t.booking_id, t.kind, e.account, e.amount_pence as "amount_pence: Pence", t.currency,
            t.created_at as recorded_at
         from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
         where e.account = $1 order by e.id"#,
        account,
    )
    .fetch_all(db)
    .await
}

/// Forgets the household's processor customer and what the processor said
/// of its cards (the payment method, a payment's client secret and failure
/// message); amounts, states, refunds and the ledger stay, naming the
/// household only by its id. Returns the rows changed.
pub async fn erase(conn: &mut PgConnection, household_id: Uuid) -> sqlx::Result<u64> {
    let customers = sqlx::query!("delete from stripe_customers where household_id = $1", household_id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let payments = sqlx::query!(
        "update payments set payment_method = null, stripe_customer = null, client_secret = null,
            failure_message = null, request_digest = '', updated_at = now()
         where household_id = $1
           and (payment_method is not null or stripe_customer is not null or client_secret is not null
                or failure_message is not null or request_digest <> '')",
        household_id,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(customers + payments)
}
