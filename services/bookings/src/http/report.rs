//! `GET /internal/councils/{id}/report?from=&to=`: a council's bookings made
//! in `[from, to)` — officers of that council and admins.
//!
//! Counted: bookings that were confirmed (CONFIRMED, ACTIVE, COMPLETED, or
//! CANCELLED after payment). Gross is their whole price; subsidy what the
//! schemes still pay (a cancellation releases it in full); household paid
//! the first payments taken; refunded what cancellations gave back.
//!
//! Also the breakdowns that reports draw: by zone (the zones the household
//! lived in when it booked; a booking in two overlapping zones counts in
//! both, one outside every zone under none) and over time (UK days, weeks
//! or months, by the period's length, with the subsidy committed before
//! the period). Their counts from 1 to 9 are suppressed (`null`), as in MDS
//! reports: a zone in one week can be a single household.

use axum::{
    extract::{Path, Query, State},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, NaiveDate, Utc};
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/internal/councils/{id}/report", get(report))
}

#[derive(Debug, Deserialize)]
pub struct ReportIn {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Totals {
    pub bookings: i64,
    pub households: i64,
    pub gross_pence: i64,
    pub subsidy_pence: i64,
    pub household_paid_pence: i64,
    pub refunded_pence: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct SchemeLine {
    pub scheme_id: Uuid,
    pub bookings: i64,
    pub subsidy_pence: i64,
}

/// Counts from 1 to this are not given in the breakdowns.
pub const SUPPRESS_BELOW: i64 = 10;

/// A count as the breakdowns give it: `None` for 1 to 9.
fn suppressed(n: i64) -> Option<i64> {
    (n == 0 || n >= SUPPRESS_BELOW).then_some(n)
}

#[derive(Debug, sqlx::FromRow)]
struct ZoneRow {
    zone_id: Option<Uuid>,
    bookings: i64,
    households: i64,
    subsidy_pence: i64,
}

#[derive(Debug, Serialize)]
pub struct ZoneLine {
    /// None: outside every zone of the council.
    pub zone_id: Option<Uuid>,
    pub bookings: Option<i64>,
    pub households: Option<i64>,
    pub subsidy_pence: i64,
}

#[derive(Debug, sqlx::FromRow)]
struct PointRow {
    start: NaiveDate,
    bookings: i64,
    subsidy_pence: i64,
}

#[derive(Debug, Serialize)]
pub struct Point {
    /// The first UK day of the day, week (from Monday) or month.
    pub start: NaiveDate,
    pub bookings: Option<i64>,
    pub subsidy_pence: i64,
    /// Committed before the period plus every point up to this one.
    pub spent_to_date_pence: i64,
}

#[derive(Debug, Serialize)]
pub struct OverTime {
    /// `DAY`, `WEEK` or `MONTH`.
    pub interval: &'static str,
    /// Subsidy of the council's bookings made before the period and not cancelled.
    pub spent_before_pence: i64,
    pub points: Vec<Point>,
}

#[derive(Debug, Serialize)]
pub struct ReportOut {
    #[serde(flatten)]
    pub totals: Totals,
    pub by_scheme: Vec<SchemeLine>,
    pub by_zone: Vec<ZoneLine>,
    pub over_time: OverTime,
}

/// The longest period a report covers.
pub const MAX_DAYS: i64 = 3660;

/// Days for periods up to about two months, weeks up to two years, months beyond.
fn interval(from: DateTime<Utc>, to: DateTime<Utc>) -> &'static str {
    match (to - from).num_days() {
        0..=62 => "DAY",
        63..=731 => "WEEK",
        _ => "MONTH",
    }
}

const COUNTED: &str = "council_id = $1 and created_at >= $2 and created_at < $3
    and (status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')
         or (status = 'CANCELLED' and payment_status in ('CAPTURED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'NOT_REQUIRED')))";

async fn report(
    State(s): State<AppState>,
    caller: Caller,
    Path(council): Path<Uuid>,
    Query(q): Query<ReportIn>,
) -> ApiResult<Json<ReportOut>> {
    caller.require_council_officer(council)?;
    if q.to <= q.from {
        return Err(ApiError::invalid("to", "`to` must be after `from`"));
    }
    if q.to - q.from > chrono::Duration::days(MAX_DAYS) {
        return Err(ApiError::invalid("to", "A report covers at most 10 years"));
    }
    let totals: Totals = sqlx::query_as(&format!(
        "select count(*) as bookings, count(distinct household_id) as households,
            coalesce(sum(base_pence), 0)::bigint as gross_pence,
            coalesce(sum(subsidy_pence) filter (where status <> 'CANCELLED'), 0)::bigint as subsidy_pence,
            coalesce(sum(first_base_pence - first_subsidy_pence), 0)::bigint as household_paid_pence,
            coalesce(sum(refund_pence) filter (where status = 'CANCELLED'), 0)::bigint as refunded_pence
         from bookings where {COUNTED}"
    ))
    .bind(council)
    .bind(q.from)
    .bind(q.to)
    .fetch_one(&s.pool)
    .await?;
    let by_scheme: Vec<SchemeLine> = sqlx::query_as(&format!(
        "select scheme_id, count(*) as bookings,
            coalesce(sum(subsidy_pence) filter (where status <> 'CANCELLED'), 0)::bigint as subsidy_pence
         from bookings where {COUNTED} and scheme_id is not null group by scheme_id order by scheme_id"
    ))
    .bind(council)
    .bind(q.from)
    .bind(q.to)
    .fetch_all(&s.pool)
    .await?;
    let by_zone: Vec<ZoneRow> = sqlx::query_as(&format!(
        "select z.zone_id, count(*) as bookings, count(distinct household_id) as households,
            coalesce(sum(subsidy_pence) filter (where status <> 'CANCELLED'), 0)::bigint as subsidy_pence
         from bookings left join lateral unnest(zone_ids) as z(zone_id) on true
         where {COUNTED} group by z.zone_id order by z.zone_id nulls last"
    ))
    .bind(council)
    .bind(q.from)
    .bind(q.to)
    .fetch_all(&s.pool)
    .await?;
    let by_zone = by_zone
        .into_iter()
        .map(|z| ZoneLine {
            zone_id: z.zone_id,
            bookings: suppressed(z.bookings),
            households: suppressed(z.households),
            subsidy_pence: z.subsidy_pence,
        })
        .collect();
    Ok(Json(ReportOut {
        totals,
        by_scheme,
        by_zone,
        over_time: over_time(&s, council, &q).await?,
    }))
}

/// The period's subsidy bucket by bucket (every bucket, empty ones too), in
/// UK time.
async fn over_time(s: &AppState, council: Uuid, q: &ReportIn) -> ApiResult<OverTime> {
    let interval = interval(q.from, q.to);
    let spent_before_pence: i64 = sqlx::query_scalar(
        "select coalesce(sum(subsidy_pence), 0)::bigint from bookings
         where council_id = $1 and created_at < $2 and status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')",
    )
    .bind(council)
    .bind(q.from)
    .fetch_one(&s.pool)
    .await?;
    let rows: Vec<PointRow> = sqlx::query_as(&format!(
        "with counted as (
            select date_trunc($4, created_at at time zone 'Europe/London') as bucket, status, subsidy_pence
            from bookings where {COUNTED}
         ), buckets as (
            select generate_series(
                date_trunc($4, $2 at time zone 'Europe/London'),
                ($3 - interval '1 microsecond') at time zone 'Europe/London',
                ('1 ' || $4)::interval) as start
         )
         select buckets.start::date as start, count(counted.bucket) as bookings,
            coalesce(sum(counted.subsidy_pence) filter (where counted.status <> 'CANCELLED'), 0)::bigint as subsidy_pence
         from buckets left join counted on counted.bucket = buckets.start
         group by buckets.start order by buckets.start"
    ))
    .bind(council)
    .bind(q.from)
    .bind(q.to)
    .bind(interval)
    .fetch_all(&s.pool)
    .await?;
    let mut spent = spent_before_pence;
    let points = rows
        .into_iter()
        .map(|r| {
            spent += r.subsidy_pence;
            Point {
                start: r.start,
                bookings: suppressed(r.bookings),
                subsidy_pence: r.subsidy_pence,
                spent_to_date_pence: spent,
            }
        })
        .collect();
    Ok(OverTime {
        interval,
        spent_before_pence,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_counts_are_suppressed_but_zero_is_not() {
        assert_eq!(suppressed(0), Some(0));
        assert_eq!(suppressed(1), None);
        assert_eq!(suppressed(9), None);
        assert_eq!(suppressed(10), Some(10));
    }

    #[test]
    fn the_interval_follows_the_length() {
        let from = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        assert_eq!(interval(from, from + chrono::Duration::days(31)), "DAY");
        assert_eq!(interval(from, from + chrono::Duration::days(365)), "WEEK");
        assert_eq!(interval(from, from + chrono::Duration::days(1000)), "MONTH");
    }
}
