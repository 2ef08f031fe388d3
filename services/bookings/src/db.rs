//! The bookings table: rows, reads and the saga's step transitions; the
//! councils' reports in [`report`].

pub mod report;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::domain::HouseholdLoad;

/// Columns read for a booking.
pub const COLUMNS: &str = "id, household_id, council_id, provider_id, vehicle_id, kind, lease_months,
    lower(period) as start_at, upper(period) as end_at, status, slot_held, step, outcome, attempts,
    failure_code, failure_message, currency, base_pence, subsidy_pence, first_base_pence,
    first_subsidy_pence, scheme_id, scheme_version, payment_method, payment_status, request_digest,
    cancelled_at, cancel_reason, refund_pence, created_at, updated_at, list_seq";

/// A booking as stored (and as the internal API shows it).
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct BookingRow {
    pub id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub provider_id: Uuid,
    pub vehicle_id: Uuid,
    pub kind: String,
    pub lease_months: Option<i32>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: String,
    pub slot_held: bool,
    pub step: String,
    pub outcome: Option<String>,
    pub attempts: i32,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub currency: String,
    pub base_pence: i64,
    pub subsidy_pence: i64,
    pub first_base_pence: i64,
    pub first_subsidy_pence: i64,
    pub scheme_id: Option<Uuid>,
    pub scheme_version: Option<i32>,
    pub payment_method: Option<String>,
    pub payment_status: Option<String>,
    #[serde(skip)]
    pub request_digest: String,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub refund_pence: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub list_seq: i64,
}

/// A new booking, reserved, at its first step and claimed by its writer.
pub struct NewBooking<'a> {
    pub id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub provider_id: Uuid,
    pub vehicle_id: Uuid,
    pub kind: &'a str,
    pub lease_months: Option<i32>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub step: &'a str,
    pub currency: &'a str,
    pub base_pence: i64,
    pub subsidy_pence: i64,
    pub first_base_pence: i64,
    pub first_subsidy_pence: i64,
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
    sqlx::query(
        "insert into bookings (id, household_id, council_id, provider_id, vehicle_id, kind, lease_months,
            period, status, step, currency, base_pence, subsidy_pence, first_base_pence, first_subsidy_pence,
            scheme_id, scheme_version, payment_method, idempotency_key, request_digest, claimed_until, zone_ids)
         values ($1, $2, $3, $4, $5, $6, $7, tstzrange($8, $9, '[)'), 'PENDING_PAYMENT', $10, $11, $12, $13,
            $14, $15, $16, $17, $18, $19, $20, now() + make_interval(secs => $21), $22)",
    )
    .bind(b.id)
    .bind(b.household_id)
    .bind(b.council_id)
    .bind(b.provider_id)
    .bind(b.vehicle_id)
    .bind(b.kind)
    .bind(b.lease_months)
    .bind(b.start)
    .bind(b.end)
    .bind(b.step)
    .bind(b.currency)
    .bind(b.base_pence)
    .bind(b.subsidy_pence)
    .bind(b.first_base_pence)
    .bind(b.first_subsidy_pence)
    .bind(b.scheme_id)
    .bind(b.scheme_version)
    .bind(b.payment_method)
    .bind(b.idempotency_key)
    .bind(b.request_digest)
    .bind(claim_secs)
    .bind(b.zone_ids)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from bookings where id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<BookingRow>> {
    sqlx::query_as(&format!("select {COLUMNS} from bookings where id = any($1)"))
        .bind(ids)
        .fetch_all(db)
        .await
}

pub async fn by_key(db: impl PgExecutor<'_>, household_id: Uuid, key: &str) -> sqlx::Result<Option<BookingRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from bookings where household_id = $1 and idempotency_key = $2"
    ))
    .bind(household_id)
    .bind(key)
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
    sqlx::query_scalar(
        "select exists (select 1 from bookings where slot_held and vehicle_id = $1 and period && tstzrange($2, $3, '[)'))",
    )
    .bind(vehicle_id)
    .bind(start)
    .bind(end)
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
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(key)
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
    let (unpaid, overlapping_hires): (i64, i64) = sqlx::query_as(
        "select
            count(*) filter (where status = 'PENDING_PAYMENT'
                or (payment_method is null and base_pence > subsidy_pence)),
            count(*) filter (where kind = 'HIRE' and period && tstzrange($2, $3, '[)'))
         from bookings
         where household_id = $1 and status in ('PENDING_PAYMENT', 'CONFIRMED', 'ACTIVE') and outcome is null",
    )
    .bind(household_id)
    .bind(start)
    .bind(end)
    .fetch_one(db)
    .await?;
    Ok(HouseholdLoad {
        unpaid,
        overlapping_hires,
    })
}

/// Of `vehicle_ids`, those held in `[start, end)`, in one query (an
/// index-only scan of `bookings_calendar_idx`).
pub async fn booked_among(
    db: impl PgExecutor<'_>,
    vehicle_ids: &[Uuid],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "select distinct vehicle_id from bookings
         where slot_held and vehicle_id = any($1) and upper(period) > $2 and period && tstzrange($2, $3, '[)')",
    )
    .bind(vehicle_ids)
    .bind(start)
    .bind(end)
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
    let col = match column {
        Owner::Household => "household_id",
        Owner::Provider => "provider_id",
    };
    let scope = "($2::uuid[] is null or council_id = any($2))";
    let rows = sqlx::query_as(&format!(
        "select {COLUMNS} from bookings where {col} = $1 and {scope} and list_seq > $3 order by list_seq limit $4"
    ))
    .bind(owner)
    .bind(councils)
    .bind(after)
    .bind(first)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(&format!("select count(*) from bookings where {col} = $1 and {scope}"))
        .bind(owner)
        .bind(councils)
        .fetch_one(db)
        .await?;
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
    sqlx::query_as(&format!(
        "update bookings set claimed_until = now() + make_interval(secs => $2)
         where id = $1 and step <> 'DONE' and (claimed_until is null or claimed_until < now())
         returning {COLUMNS}"
    ))
    .bind(id)
    .bind(secs)
    .fetch_optional(db)
    .await
}

/// Lets go of a claim without changing the step.
pub async fn unclaim(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("update bookings set claimed_until = null where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Bookings whose next attempt is due and that nobody is driving.
pub async fn due(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "select id from bookings where step <> 'DONE' and next_attempt_at <= now()
           and (claimed_until is null or claimed_until < now())
         order by next_attempt_at limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await
}
