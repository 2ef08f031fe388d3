//! A council's report of the bookings made in a period: totals, per scheme,
//! per zone and over time. Every figure but the cancellations' is of the
//! bookings that stand (confirmed, active or completed), so the money adds
//! up: their price is the schemes' subsidy plus the households' share.
//! Cancelled bookings (cancelled after they were confirmed) are counted
//! apart, with what was refunded and what was kept.

use chrono::{DateTime, NaiveDate, Utc};
use roundabout_api::{
    bookings::{SchemeLineData, TotalsData},
    Pence,
};
use sqlx::PgExecutor;
use uuid::Uuid;

// Every query below selects the bookings of the council (`$1`) made in
// `[$2, $3)` that stand (confirmed, active or completed), or for the totals
// those that were confirmed: those that stand and those cancelled after
// payment (or needing none).

/// The period's totals (answered as [`TotalsData`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Totals {
    /// Bookings that stand.
    pub bookings: i64,
    /// Households with a booking that stands.
    pub households: i64,
    /// The whole price of the bookings that stand (a lease's whole term).
    pub gross_pence: Pence,
    /// The schemes' subsidy on them.
    pub subsidy_pence: Pence,
    /// The households' share of their price: `gross - subsidy`, paid or
    /// still to pay (an invoice, a lease's later months).
    pub household_paid_pence: Pence,
    /// Bookings cancelled after they were confirmed.
    pub cancelled_bookings: i64,
    /// What households had paid for those and got back.
    pub refunded_pence: Pence,
    /// What households had paid for those and did not get back (a
    /// cancellation less than 24 hours before the start).
    pub cancellation_charges_pence: Pence,
}

impl From<Totals> for TotalsData {
    fn from(t: Totals) -> Self {
        Self {
            bookings: t.bookings,
            households: t.households,
            gross_pence: t.gross_pence,
            subsidy_pence: t.subsidy_pence,
            household_paid_pence: t.household_paid_pence,
            cancelled_bookings: t.cancelled_bookings,
            refunded_pence: t.refunded_pence,
            cancellation_charges_pence: t.cancellation_charges_pence,
        }
    }
}

pub async fn totals(
    db: impl PgExecutor<'_>,
    council: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Totals> {
    sqlx::query_as!(
        Totals,
        r#"with b as (select *, status <> 'CANCELLED' as stands from bookings
         where council_id = $1 and created_at >= $2 and created_at < $3
           and (status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')
                or (status = 'CANCELLED'
                    and payment_status in ('CAPTURED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'NOT_REQUIRED'))))
         select count(*) filter (where stands) as "bookings!",
            count(distinct household_id) filter (where stands) as "households!",
            coalesce(sum(base_pence) filter (where stands), 0)::bigint as "gross_pence!: Pence",
            coalesce(sum(subsidy_pence) filter (where stands), 0)::bigint as "subsidy_pence!: Pence",
            coalesce(sum(base_pence - subsidy_pence) filter (where stands), 0)::bigint as "household_paid_pence!: Pence",
            count(*) filter (where not stands) as "cancelled_bookings!",
            coalesce(sum(coalesce(refund_pence, 0)) filter (where not stands), 0)::bigint as "refunded_pence!: Pence",
            coalesce(sum(first_base_pence - first_subsidy_pence - coalesce(refund_pence, 0))
                filter (where not stands), 0)::bigint as "cancellation_charges_pence!: Pence"
         from b"#,
        council,
        from,
        to,
    )
    .fetch_one(db)
    .await
}

/// One scheme's bookings that stand and its subsidy on them.
#[derive(Debug)]
pub struct SchemeLine {
    pub scheme_id: Uuid,
    pub bookings: i64,
    pub subsidy_pence: Pence,
}

impl From<SchemeLine> for SchemeLineData {
    fn from(l: SchemeLine) -> Self {
        Self {
            scheme_id: l.scheme_id,
            bookings: l.bookings,
            subsidy_pence: l.subsidy_pence,
        }
    }
}

pub async fn by_scheme(
    db: impl PgExecutor<'_>,
    council: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<SchemeLine>> {
    sqlx::query_as!(
        SchemeLine,
        r#"select scheme_id as "scheme_id!", count(*) as "bookings!",
            coalesce(sum(subsidy_pence), 0)::bigint as "subsidy_pence!: Pence"
         from bookings
         where council_id = $1 and created_at >= $2 and created_at < $3
           and status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')
           and scheme_id is not null group by scheme_id order by scheme_id"#,
        council,
        from,
        to,
    )
    .fetch_all(db)
    .await
}

/// One zone's bookings that stand (exact: the caller withholds small counts).
#[derive(Debug)]
pub struct ZoneRow {
    /// None: outside every zone of the council.
    pub zone_id: Option<Uuid>,
    pub bookings: i64,
    pub households: i64,
    pub subsidy_pence: Pence,
}

pub async fn by_zone(
    db: impl PgExecutor<'_>,
    council: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> sqlx::Result<Vec<ZoneRow>> {
    sqlx::query_as!(
        ZoneRow,
        r#"select z.zone_id as "zone_id?", count(*) as "bookings!", count(distinct household_id) as "households!",
            coalesce(sum(subsidy_pence), 0)::bigint as "subsidy_pence!: Pence"
         from bookings left join lateral unnest(zone_ids) as z(zone_id) on true
         where council_id = $1 and created_at >= $2 and created_at < $3
           and status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')
         group by z.zone_id order by z.zone_id nulls last"#,
        council,
        from,
        to,
    )
    .fetch_all(db)
    .await
}

/// Subsidy of the council's bookings made before `before` that stand: the
/// council's running total (`council_subsidy_totals`, kept by a trigger)
/// less what was made from `before` on, in one statement so both are read
/// at one instant. It reads the bookings since `before`, not the whole
/// history.
pub async fn spent_before(db: impl PgExecutor<'_>, council: Uuid, before: DateTime<Utc>) -> sqlx::Result<Pence> {
    sqlx::query_scalar!(
        r#"select (coalesce((select sum(subsidy_pence) from council_subsidy_totals where council_id = $1), 0)
                 - coalesce((select sum(subsidy_pence) from bookings
                             where council_id = $1 and created_at >= $2
                               and status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')), 0))::bigint as "spent!: Pence""#,
        council,
        before,
    )
    .fetch_one(db)
    .await
}

/// One day, week or month: its bookings that stand (exact) and their subsidy.
#[derive(Debug)]
pub struct PointRow {
    pub start: NaiveDate,
    pub bookings: i64,
    pub subsidy_pence: Pence,
}

/// Every `interval` (`day`, `week`, `month`) of the period in UK time, empty ones too.
pub async fn over_time(
    db: impl PgExecutor<'_>,
    council: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval: &str,
) -> sqlx::Result<Vec<PointRow>> {
    sqlx::query_as!(
        PointRow,
        r#"with counted as (
            select date_trunc($4, created_at at time zone 'Europe/London') as bucket, subsidy_pence
            from bookings
            where council_id = $1 and created_at >= $2 and created_at < $3
             and status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')
         ), buckets as (
            select generate_series(
                date_trunc($4, $2 at time zone 'Europe/London'),
                ($3 - interval '1 microsecond') at time zone 'Europe/London',
                ('1 ' || $4)::interval) as start
         )
         select buckets.start::date as "start!", count(counted.bucket) as "bookings!",
            coalesce(sum(counted.subsidy_pence), 0)::bigint as "subsidy_pence!: Pence"
         from buckets left join counted on counted.bucket = buckets.start
         group by buckets.start order by buckets.start"#,
        council,
        from,
        to,
        interval,
    )
    .fetch_all(db)
    .await
}
