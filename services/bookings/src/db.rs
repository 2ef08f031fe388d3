//! The service's SQL, all of it compile-checked (`sqlx::query!` and
//! friends, cached in `.sqlx/`): the bookings table's rows, reads and the
//! saga's step transitions, the lifecycle job, the payment events inbox,
//! the saga backlog metrics; the councils' reports in [`report`].

pub mod privacy;
pub mod report;
pub mod retention;

use chrono::{DateTime, Utc};

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use roundabout_api::{
    bookings::BookingData,
    states::{BookingKind, BookingStatus, PaymentState, SagaStep},
    Pence,
};

use crate::domain::HouseholdLoad;

/// A booking as stored; the internal API shows it as [`BookingData`].
#[derive(Debug, Clone)]
pub struct BookingRow {
    pub id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub provider_id: Uuid,
    pub vehicle_id: Uuid,
    pub kind: BookingKind,
    pub lease_months: Option<i32>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    pub slot_held: bool,
    pub step: SagaStep,
    pub outcome: Option<BookingStatus>,
    pub attempts: i32,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub currency: String,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    pub first_base_pence: Pence,
    pub first_subsidy_pence: Pence,
    pub scheme_id: Option<Uuid>,
    pub scheme_version: Option<i32>,
    pub payment_method: Option<String>,
    pub payment_status: Option<PaymentState>,
    pub request_digest: String,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub refund_pence: Option<Pence>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub list_seq: i64,
}

impl From<BookingRow> for BookingData {
    fn from(b: BookingRow) -> Self {
        Self {
            id: b.id,
            household_id: b.household_id,
            council_id: b.council_id,
            provider_id: b.provider_id,
            vehicle_id: b.vehicle_id,
            kind: b.kind,
            lease_months: b.lease_months,
            start_at: b.start_at,
            end_at: b.end_at,
            status: b.status,
            slot_held: b.slot_held,
            step: b.step,
            outcome: b.outcome,
            attempts: b.attempts,
            failure_code: b.failure_code,
            failure_message: b.failure_message,
            currency: b.currency,
            base_pence: b.base_pence,
            subsidy_pence: b.subsidy_pence,
            first_base_pence: b.first_base_pence,
            first_subsidy_pence: b.first_subsidy_pence,
            scheme_id: b.scheme_id,
            scheme_version: b.scheme_version,
            payment_method: b.payment_method,
            payment_status: b.payment_status,
            cancelled_at: b.cancelled_at,
            cancel_reason: b.cancel_reason,
            refund_pence: b.refund_pence,
            created_at: b.created_at,
            updated_at: b.updated_at,
            list_seq: b.list_seq,
        }
    }
}

/// A new booking, reserved, at its first step and claimed by its writer.
pub struct NewBooking<'a> {
    pub id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub provider_id: Uuid,
    pub vehicle_id: Uuid,
    pub kind: BookingKind,
    pub lease_months: Option<i32>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub step: SagaStep,
    pub currency: &'a str,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    pub first_base_pence: Pence,
    pub first_subsidy_pence: Pence,
    pub scheme_id: Option<Uuid>,
    pub scheme_version: Option<i32>,
    pub payment_method: Option<&'a str>,
    pub idempotency_key: &'a str,
    pub request_digest: &'a str,
    /// The household's zones when it booked.
    pub zone_ids: &'a [Uuid],
}

/// Inserts the booking, claimed by its writer for `claim_secs`.
pub async fn insert(db: impl PgExecutor<'_>, b: &NewBooking<'_>, claim_secs: f64) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into bookings (id, household_id, council_id, provider_id, vehicle_id, kind, lease_months,
            period, status, step, currency, base_pence, subsidy_pence, first_base_pence, first_subsidy_pence,
            scheme_id, scheme_version, payment_method, idempotency_key, request_digest, claimed_until, zone_ids)
         values ($1, $2, $3, $4, $5, $6, $7, tstzrange($8, $9, '[)'), 'PENDING_PAYMENT', $10, $11, $12, $13,
            $14, $15, $16, $17, $18, $19, $20, now() + make_interval(secs => $21), $22)",
        b.id,
        b.household_id,
        b.council_id,
        b.provider_id,
        b.vehicle_id,
        b.kind as _,
        b.lease_months,
        b.start,
        b.end,
        b.step as _,
        b.currency,
        b.base_pence.get(),
        b.subsidy_pence.get(),
        b.first_base_pence.get(),
        b.first_subsidy_pence.get(),
        b.scheme_id,
        b.scheme_version,
        b.payment_method,
        b.idempotency_key,
        b.request_digest,
        claim_secs,
        b.zone_ids,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<BookingRow>> {
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
         from bookings where id = $1"#,
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<BookingRow>> {
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
         from bookings where id = any($1)"#,
        ids,
    )
    .fetch_all(db)
    .await
}

pub async fn by_key(db: impl PgExecutor<'_>, household_id: Uuid, key: &str) -> sqlx::Result<Option<BookingRow>> {
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
         from bookings where household_id = $1 and idempotency_key = $2"#,
        household_id,
        key,
    )
    .fetch_optional(db)
    .await
}

/// Whether any live booking holds the vehicle in `[start, end)` — a plain
/// read, so the common conflict takes no locks.
pub async fn overlaps(
    db: impl PgExecutor<'_>,
    vehicle_id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from bookings where slot_held and vehicle_id = $1 and period && tstzrange($2, $3, '[)')) as "exists!""#,
        vehicle_id,
        start,
        end,
    )
    .fetch_one(db)
    .await
}

/// Holds, until the transaction ends, the lock that serialises one
/// household's new bookings, so that two requests at once cannot both pass
/// the household's limits. The key is the household id's first 64 bits (a
/// collision only makes two households wait for each other).
pub async fn lock_household(tx: &mut sqlx::PgConnection, household_id: Uuid) -> sqlx::Result<()> {
    // The bits as they are: any 64 bits will do as a key.
    let key = household_id.as_u64_pair().0 as i64;
    sqlx::query!("select pg_advisory_xact_lock($1)", key)
        .execute(tx)
        .await?;
    Ok(())
}

/// What a household has that counts against its limits: bookings held or
/// unpaid (waiting for their payment, or confirmed on an invoice — no card
/// payment method and a share to pay — and not yet ended), and live hires
/// overlapping `[start, end)`. Bookings being cancelled or compensated
/// (`outcome` set) are on their way out and do not count.
pub async fn household_load(
    db: impl PgExecutor<'_>,
    household_id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> sqlx::Result<HouseholdLoad> {
    sqlx::query_as!(
        HouseholdLoad,
        r#"select
            count(*) filter (where status = 'PENDING_PAYMENT'
                or (payment_method is null and base_pence > subsidy_pence)) as "unpaid!",
            count(*) filter (where kind = 'HIRE' and period && tstzrange($2, $3, '[)')) as "overlapping_hires!"
         from bookings
         where household_id = $1 and status in ('PENDING_PAYMENT', 'CONFIRMED', 'ACTIVE') and outcome is null"#,
        household_id,
        start,
        end,
    )
    .fetch_one(db)
    .await
}

/// Of `vehicle_ids`, those held in `[start, end)`, in one query (an
/// index-only scan of `bookings_calendar_idx`).
pub async fn booked_among(
    db: impl PgExecutor<'_>,
    vehicle_ids: &[Uuid],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "select distinct vehicle_id from bookings
         where slot_held and vehicle_id = any($1) and upper(period) > $2 and period && tstzrange($2, $3, '[)')",
        vehicle_ids,
        start,
        end,
    )
    .fetch_all(db)
    .await
}

/// A page of bookings by one column (`household_id` or `provider_id`), after
/// a position, and how many there are in all; with `councils`, only the
/// bookings made in those councils (what an officer may see), in both.
pub async fn page(
    db: &PgPool,
    column: Owner,
    owner: Uuid,
    councils: Option<&[Uuid]>,
    after: i64,
    first: i64,
) -> sqlx::Result<(Vec<BookingRow>, i64)> {
    // One static query per owner column, so each uses its own index.
    let (rows, total) = match column {
        Owner::Household => (
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
                 from bookings where household_id = $1 and ($2::uuid[] is null or council_id = any($2))
                   and list_seq > $3 order by list_seq limit $4"#,
                owner,
                councils,
                after,
                first,
            )
            .fetch_all(db)
            .await?,
            sqlx::query_scalar!(
                r#"select count(*) as "count!" from bookings
                 where household_id = $1 and ($2::uuid[] is null or council_id = any($2))"#,
                owner,
                councils,
            )
            .fetch_one(db)
            .await?,
        ),
        Owner::Provider => (
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
                 from bookings where provider_id = $1 and ($2::uuid[] is null or council_id = any($2))
                   and list_seq > $3 order by list_seq limit $4"#,
                owner,
                councils,
                after,
                first,
            )
            .fetch_all(db)
            .await?,
            sqlx::query_scalar!(
                r#"select count(*) as "count!" from bookings
                 where provider_id = $1 and ($2::uuid[] is null or council_id = any($2))"#,
                owner,
                councils,
            )
            .fetch_one(db)
            .await?,
        ),
    };
    Ok((rows, total))
}

/// Whose bookings a page lists.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    Household,
    Provider,
}

/// Claims a booking for one driver for `secs` (a lease, so two drivers never
/// perform the same step at once and a crashed driver's claim lapses).
pub async fn claim(db: impl PgExecutor<'_>, id: Uuid, secs: f64) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as!(
        BookingRow,
        r#"update bookings set claimed_until = now() + make_interval(secs => $2)
         where id = $1 and step <> 'DONE' and (claimed_until is null or claimed_until < now())
         returning id, household_id, council_id, provider_id, vehicle_id, kind as "kind: BookingKind", lease_months,
            lower(period) as "start_at!", upper(period) as "end_at!", status as "status: BookingStatus", slot_held,
            step as "step: SagaStep", outcome as "outcome: BookingStatus", attempts, failure_code, failure_message,
            currency, base_pence as "base_pence: Pence", subsidy_pence as "subsidy_pence: Pence",
            first_base_pence as "first_base_pence: Pence", first_subsidy_pence as "first_subsidy_pence: Pence",
            scheme_id, scheme_version,
            payment_method, payment_status as "payment_status: PaymentState", request_digest, cancelled_at,
            cancel_reason, refund_pence as "refund_pence: Pence", created_at, updated_at, list_seq"#,
        id,
        secs,
    )
    .fetch_optional(db)
    .await
}

/// Lets go of a claim without changing the step.
pub async fn unclaim(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("update bookings set claimed_until = null where id = $1", id)
        .execute(db)
        .await?;
    Ok(())
}

/// Bookings whose next attempt is due and that nobody is driving.
pub async fn due(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "select id from bookings where step <> 'DONE' and next_attempt_at <= now()
           and (claimed_until is null or claimed_until < now())
         order by next_attempt_at limit $1",
        limit,
    )
    .fetch_all(db)
    .await
}

/// A recorded change of step (see `saga::record`): the step it leaves and
/// the one it goes to, with what else changes.
pub struct StepChange<'a> {
    pub id: Uuid,
    pub from: SagaStep,
    pub next: SagaStep,
    pub status: Option<BookingStatus>,
    pub outcome: Option<BookingStatus>,
    pub payment_status: Option<PaymentState>,
    pub failure_code: Option<&'a str>,
    pub failure_message: Option<&'a str>,
    pub free_slot: bool,
}

/// Records a step's outcome and the next step, keeping the claim for
/// `claim_secs`; nothing if the booking has left `from` meanwhile.
pub async fn record_step(db: impl PgExecutor<'_>, c: &StepChange<'_>, claim_secs: f64) -> sqlx::Result<()> {
    sqlx::query!(
        "update bookings set step = $3, status = coalesce($4, status), outcome = coalesce($5, outcome),
            payment_status = coalesce($6, payment_status), failure_code = coalesce($7, failure_code),
            failure_message = coalesce($8, failure_message), slot_held = slot_held and not $9,
            attempts = 0, next_attempt_at = now(), last_error = null, updated_at = now(),
            claimed_until = now() + make_interval(secs => $10)
         where id = $1 and step = $2",
        c.id,
        c.from as _,
        c.next as _,
        c.status as _,
        c.outcome as _,
        c.payment_status as _,
        c.failure_code,
        c.failure_message,
        c.free_slot,
        claim_secs,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Puts a booking's next attempt off by `delay_secs` and lets go of its
/// claim, noting the error and the payment status if any.
pub async fn retry_later(
    db: impl PgExecutor<'_>,
    id: Uuid,
    error: Option<&str>,
    payment_status: Option<PaymentState>,
    delay_secs: f64,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update bookings set attempts = attempts + 1, last_error = $2, payment_status = coalesce($3, payment_status),
            next_attempt_at = now() + make_interval(secs => $4), claimed_until = null, updated_at = now()
         where id = $1",
        id,
        error,
        payment_status as _,
        delay_secs,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Notes why a booking's saga is stopped (a pause point).
pub async fn note_error(db: impl PgExecutor<'_>, id: Uuid, note: &str) -> sqlx::Result<()> {
    sqlx::query!("update bookings set last_error = $2 where id = $1", id, note)
        .execute(db)
        .await?;
    Ok(())
}

/// Marks up to 200 unconsumed payment events consumed and makes their
/// unfinished bookings due now; answers those bookings.
pub async fn wake_from_events(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        "with consumed as (
            update payment_events set consumed_at = now()
            where idempotency_key in (select idempotency_key from payment_events where consumed_at is null limit 200)
            returning booking_id
         )
         update bookings set next_attempt_at = now()
         where id in (select booking_id from consumed) and step <> 'DONE'
         returning id",
    )
    .fetch_all(db)
    .await
}

/// Starts a cancellation at step `first`, claimed for `claim_secs`, if the
/// booking may be cancelled and nobody is driving it; answers whether it did.
pub async fn start_cancellation(
    db: impl PgExecutor<'_>,
    id: Uuid,
    reason: Option<&str>,
    refund_pence: Pence,
    first: SagaStep,
    claim_secs: f64,
) -> sqlx::Result<bool> {
    let n = sqlx::query!(
        "update bookings set cancelled_at = now(), cancel_reason = $2, refund_pence = $3, step = $4,
            outcome = 'CANCELLED', attempts = 0, next_attempt_at = now(), updated_at = now(),
            claimed_until = now() + make_interval(secs => $5)
         where id = $1 and cancelled_at is null and status in ('PENDING_PAYMENT', 'CONFIRMED', 'ACTIVE')
           and (step = 'DONE' or step in ('HOLD_BUDGET', 'CHARGE'))
           and (claimed_until is null or claimed_until < now())",
        id,
        reason,
        refund_pence.get(),
        first as _,
        claim_secs,
    )
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Starts confirmed bookings whose period has begun.
pub async fn start_due(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "update bookings set status = 'ACTIVE', updated_at = now()
         where status = 'CONFIRMED' and step = 'DONE' and lower(period) <= now()",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Completes active bookings whose period has ended; their next step is the
/// provider's payout.
pub async fn complete_due(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "update bookings set status = 'COMPLETED', step = 'PAYOUT', attempts = 0, next_attempt_at = now(),
            updated_at = now()
         where status = 'ACTIVE' and step = 'DONE' and upper(period) <= now()",
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Stores a payment event once per idempotency key; answers whether it was new.
pub async fn insert_payment_event(
    db: impl PgExecutor<'_>,
    idempotency_key: &str,
    booking_id: Uuid,
    status: PaymentState,
    failure_code: Option<&str>,
) -> sqlx::Result<bool> {
    let n = sqlx::query!(
        "insert into payment_events (idempotency_key, booking_id, status, failure_code) values ($1, $2, $3, $4)
         on conflict (idempotency_key) do nothing",
        idempotency_key,
        booking_id,
        status as _,
        failure_code,
    )
    .execute(db)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// One step's backlog: bookings waiting there and the oldest one's seconds
/// since its last change.
pub struct StepBacklog {
    pub step: SagaStep,
    pub count: i64,
    pub age_secs: i64,
}

/// The saga's backlog by step (served by `bookings_due_idx`, partial on
/// `step <> 'DONE'`).
pub async fn backlog(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<StepBacklog>> {
    sqlx::query_as!(
        StepBacklog,
        r#"select step as "step: SagaStep", count(*) as "count!",
            coalesce(extract(epoch from now() - min(updated_at))::bigint, 0) as "age_secs!"
         from bookings where step <> 'DONE' group by step"#
    )
    .fetch_all(db)
    .await
}
