//! The `payments` table and the record of processor calls.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use roundabout_api::{
    states::{BookingKind, PaymentMethodKind, PaymentState},
    Pence,
};

#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub booking_id: Uuid,
    pub household_id: Uuid,
    pub provider_id: Uuid,
    pub council_id: Uuid,
    pub kind: BookingKind,
    pub method: PaymentMethodKind,
    pub status: PaymentState,
    pub currency: String,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    pub amount_pence: Pence,
    pub platform_fee_pence: Pence,
    pub refunded_pence: Pence,
    pub payment_method: Option<String>,
    pub stripe_customer: Option<String>,
    pub stripe_intent_id: Option<String>,
    pub client_secret: Option<String>,
    pub destination_account: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub request_digest: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewPayment<'a> {
    pub booking_id: Uuid,
    pub household_id: Uuid,
    pub provider_id: Uuid,
    pub council_id: Uuid,
    pub kind: BookingKind,
    pub method: PaymentMethodKind,
    pub status: PaymentState,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    pub amount_pence: Pence,
    pub platform_fee_pence: Pence,
    pub payment_method: Option<&'a str>,
    pub request_digest: &'a str,
}

/// Inserts the payment unless the booking has one; `true` when inserted.
pub async fn insert(conn: &mut PgConnection, p: &NewPayment<'_>) -> sqlx::Result<bool> {
    let r = sqlx::query!(
        "insert into payments (booking_id, household_id, provider_id, council_id, kind, method, status, base_pence,
             subsidy_pence, amount_pence, platform_fee_pence, payment_method, request_digest)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (booking_id) do nothing",
        p.booking_id,
        p.household_id,
        p.provider_id,
        p.council_id,
        p.kind as _,
        p.method as _,
        p.status as _,
        p.base_pence.get(),
        p.subsidy_pence.get(),
        p.amount_pence.get(),
        p.platform_fee_pence.get(),
        p.payment_method,
        p.request_digest,
    )
    .execute(conn)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub async fn get(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as!(
        PaymentRow,
        r#"select booking_id, household_id, provider_id, council_id, kind as "kind: BookingKind",
            method as "method: PaymentMethodKind", status as "status: PaymentState", currency,
            base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            amount_pence as "amount_pence: Pence", platform_fee_pence as "platform_fee_pence: Pence",
            refunded_pence as "refunded_pence: Pence", payment_method, stripe_customer,
            stripe_intent_id, client_secret, destination_account, failure_code, failure_message, request_digest,
            created_at, updated_at
         from payments where booking_id = $1"#,
        booking_id,
    )
    .fetch_optional(db)
    .await
}

/// The payment, locked for the rest of the transaction.
pub async fn lock(conn: &mut PgConnection, booking_id: Uuid) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as!(
        PaymentRow,
        r#"select booking_id, household_id, provider_id, council_id, kind as "kind: BookingKind",
            method as "method: PaymentMethodKind", status as "status: PaymentState", currency,
            base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            amount_pence as "amount_pence: Pence", platform_fee_pence as "platform_fee_pence: Pence",
            refunded_pence as "refunded_pence: Pence", payment_method, stripe_customer,
            stripe_intent_id, client_secret, destination_account, failure_code, failure_message, request_digest,
            created_at, updated_at
         from payments where booking_id = $1 for update"#,
        booking_id,
    )
    .fetch_optional(conn)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<PaymentRow>> {
    sqlx::query_as!(
        PaymentRow,
        r#"select booking_id, household_id, provider_id, council_id, kind as "kind: BookingKind",
            method as "method: PaymentMethodKind", status as "status: PaymentState", currency,
            base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            amount_pence as "amount_pence: Pence", platform_fee_pence as "platform_fee_pence: Pence",
            refunded_pence as "refunded_pence: Pence", payment_method, stripe_customer,
            stripe_intent_id, client_secret, destination_account, failure_code, failure_message, request_digest,
            created_at, updated_at
         from payments where booking_id = any($1) order by booking_id"#,
        ids,
    )
    .fetch_all(db)
    .await
}

pub async fn by_intent(db: impl PgExecutor<'_>, intent_id: &str) -> sqlx::Result<Option<PaymentRow>> {
    sqlx::query_as!(
        PaymentRow,
        r#"select booking_id, household_id, provider_id, council_id, kind as "kind: BookingKind",
            method as "method: PaymentMethodKind", status as "status: PaymentState", currency,
            base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            amount_pence as "amount_pence: Pence", platform_fee_pence as "platform_fee_pence: Pence",
            refunded_pence as "refunded_pence: Pence", payment_method, stripe_customer,
            stripe_intent_id, client_secret, destination_account, failure_code, failure_message, request_digest,
            created_at, updated_at
         from payments where stripe_intent_id = $1"#,
        intent_id,
    )
    .fetch_optional(db)
    .await
}

/// Payments whose processor outcome is unknown or waiting, untouched for `older_than_secs`.
pub async fn stale(db: impl PgExecutor<'_>, older_than_secs: f64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "select booking_id from payments
         where method = 'CARD' and status in ('PENDING', 'REQUIRES_ACTION')
           and updated_at < now() - make_interval(secs => $1)
         order by updated_at limit 100",
        older_than_secs,
    )
    .fetch_all(db)
    .await
}

/// Sets the processor's side of a payment.
pub async fn set_processor(
    conn: &mut PgConnection,
    booking_id: Uuid,
    customer: Option<&str>,
    intent: Option<&str>,
    client_secret: Option<&str>,
    destination: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update payments set stripe_customer = coalesce($2, stripe_customer), stripe_intent_id = coalesce($3, stripe_intent_id),
             client_secret = coalesce($4, client_secret), destination_account = coalesce($5, destination_account),
             updated_at = now()
         where booking_id = $1",
        booking_id,
        customer,
        intent,
        client_secret,
        destination,
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    booking_id: Uuid,
    status: PaymentState,
    failure: Option<(&str, &str)>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update payments set status = $2, failure_code = $3, failure_message = $4, updated_at = now(),
             client_secret = case when $2 = 'REQUIRES_ACTION' then client_secret end
         where booking_id = $1",
        booking_id,
        status as _,
        failure.map(|f| f.0),
        failure.map(|f| f.1),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn add_refund(
    conn: &mut PgConnection,
    booking_id: Uuid,
    amount: Pence,
    status: PaymentState,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update payments set refunded_pence = refunded_pence + $2, status = $3, updated_at = now() where booking_id = $1",
        booking_id,
        amount.get(),
        status as _,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a processor write with its idempotency key before it is made.
pub async fn record_call(
    db: impl PgExecutor<'_>,
    key: &str,
    booking_id: Option<Uuid>,
    operation: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into stripe_calls (idempotency_key, booking_id, operation) values ($1, $2, $3) on conflict do nothing",
        key,
        booking_id,
        operation,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Whether a processor write with this key was ever begun (it may have
/// reached the processor even if its answer was lost).
pub async fn call_made(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from stripe_calls where idempotency_key = $1) as "made!""#,
        key,
    )
    .fetch_one(db)
    .await
}

pub async fn complete_call(db: impl PgExecutor<'_>, key: &str, result_id: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update stripe_calls set completed_at = now(), result_id = $2 where idempotency_key = $1",
        key,
        result_id,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The platform fee for a council, in basis points, if one is set.
pub async fn council_fee(db: impl PgExecutor<'_>, council_id: Uuid) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        "select basis_points from council_fees where council_id = $1",
        council_id
    )
    .fetch_optional(db)
    .await
}

pub async fn set_council_fee(db: impl PgExecutor<'_>, council_id: Uuid, basis_points: i32) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into council_fees (council_id, basis_points) values ($1, $2)
         on conflict (council_id) do update set basis_points = excluded.basis_points",
        council_id,
        basis_points,
    )
    .execute(db)
    .await?;
    Ok(())
}
