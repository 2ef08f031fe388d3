//! A household's bookings for its export, and what erasure changes in them.

use roundabout_api::{
    states::{BookingKind, BookingStatus, PaymentState, SagaStep},
    Pence,
};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::BookingRow;

/// Every booking of the household, oldest first.
pub async fn household_bookings(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<BookingRow>> {
    sqlx::query_as!(
        BookingRow,
        r#"select id, household_id, council_id, provider_id, vehicle_id, kind as "kind: BookingKind", lease_months,
            lower(period) as "start_at!", upper(period) as "end_at!", status as "status: BookingStatus", slot_held,
            step as "step: SagaStep", outcome as "outcome: BookingStatus", attempts, failure_code, failure_message,
            currency, base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            first_base_pence as "first_base_pence: Pence", first_subsidy_pence as "first_subsidy_pence: Pence",
            scheme_id, scheme_version,
            payment_method, payment_status as "payment_status: PaymentState", request_digest, cancelled_at,
            cancel_reason, refund_pence as "refund_pence: Pence", created_at, updated_at, list_seq
         from bookings where household_id = $1 order by list_seq"#,
        household_id,
    )
    .fetch_all(db)
    .await
}

/// Bookings of the household that must end before its data is erased: a
/// hire or lease under way, a cancellation or a booking still in progress.
pub async fn unfinished(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "n!" from bookings
           where household_id = $1
             and (status in ('PENDING_PAYMENT', 'CONFIRMED', 'ACTIVE') or step <> 'DONE')"#,
        household_id,
    )
    .fetch_one(db)
    .await
}

/// Keeps what the council's reports and the accounts need (dates, vehicle,
/// prices, subsidy, refunds, zones, the household's id as a pseudonym) and
/// drops what a person wrote or a processor said about them: the reason
/// given for cancelling, the processor's failure message, the key and
/// digest of the booking request. Returns the bookings changed.
pub async fn erase(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "update bookings set cancel_reason = null, failure_message = null,
            idempotency_key = 'erased:' || id::text, request_digest = '', updated_at = now()
         where household_id = $1 and idempotency_key not like 'erased:%'",
        household_id,
    )
    .execute(db)
    .await?
    .rows_affected())
}
