//! `GET /internal/councils/{id}/report?from=&to=`: a council's bookings made
//! in `[from, to)` — officers of that council and admins.
//!
//! The figures are of the bookings that stand (confirmed, active or
//! completed), so they add up: gross is their whole price, subsidy what
//! the schemes pay on them, household paid the households' share (gross
//! less subsidy). Bookings cancelled after they were confirmed are counted
//! apart, with what was refunded and what was kept as cancellation charges.
//! Queries in [`crate::db::report`].
//!
//! Also the breakdowns that reports draw: by zone (the zones the household
//! lived in when it booked; a booking in two overlapping zones counts in
//! both, one outside every zone under none) and over time (UK days, weeks
//! or months, by the period's length, with the subsidy committed before
//! the period). Their counts from 1 to 9 are withheld (`null`) by the one
//! rule of [`roundabout_support::disclosure`]: a zone in one week can be a
//! single household.

use axum::{
    extract::{Path, Query, State},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, Utc};
use roundabout_support::{disclosure::suppressed, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{db::report as db, AppState};
use roundabout_api::{
    bookings::{OverTimeData, PointData, ReportData, ReportIn, ZoneLineData},
    routes,
    states::ReportInterval,
};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::bookings::COUNCIL_REPORT, get(report))
}

/// The longest period a report covers.
pub const MAX_DAYS: i64 = 3660;

/// Days for periods up to about two months, weeks up to two years, months beyond.
fn interval(from: DateTime<Utc>, to: DateTime<Utc>) -> ReportInterval {
    match (to - from).num_days() {
        0..=62 => ReportInterval::Day,
        63..=731 => ReportInterval::Week,
        _ => ReportInterval::Month,
    }
}

async fn report(
    State(s): State<AppState>,
    caller: Caller,
    Path(council): Path<Uuid>,
    Query(q): Query<ReportIn>,
) -> ApiResult<Json<ReportData>> {
    caller.require_council_officer(council)?;
    if q.to <= q.from {
        return Err(ApiError::invalid("to", "`to` must be after `from`"));
    }
    if q.to - q.from > chrono::Duration::days(MAX_DAYS) {
        return Err(ApiError::invalid("to", "A report covers at most 10 years"));
    }
    let totals = db::totals(&s.pool, council, q.from, q.to).await?.into();
    let by_scheme = db::by_scheme(&s.pool, council, q.from, q.to)
        .await?
        .into_iter()
        .map(Into::into)
        .collect();
    let by_zone = db::by_zone(&s.pool, council, q.from, q.to)
        .await?
        .into_iter()
        .map(|z| ZoneLineData {
            zone_id: z.zone_id,
            bookings: suppressed(z.bookings),
            households: suppressed(z.households),
            subsidy_pence: z.subsidy_pence,
        })
        .collect();
    Ok(Json(ReportData {
        totals,
        by_scheme,
        by_zone,
        over_time: over_time(&s, council, &q).await?,
    }))
}

/// The period's subsidy bucket by bucket (every bucket, empty ones too), in
/// UK time.
async fn over_time(s: &AppState, council: Uuid, q: &ReportIn) -> ApiResult<OverTimeData> {
    let interval = interval(q.from, q.to);
    let spent_before_pence = db::spent_before(&s.pool, council, q.from).await?;
    let rows = db::over_time(&s.pool, council, q.from, q.to, interval.as_str()).await?;
    let mut spent = spent_before_pence;
    let points = rows
        .into_iter()
        .map(|r| {
            spent += r.subsidy_pence;
            PointData {
                start: r.start,
                bookings: suppressed(r.bookings),
                subsidy_pence: r.subsidy_pence,
                spent_to_date_pence: spent,
            }
        })
        .collect();
    Ok(OverTimeData {
        interval,
        spent_before_pence,
        points,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_follows_the_length() {
        let from = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().to_utc();
        assert_eq!(interval(from, from + chrono::Duration::days(31)), ReportInterval::Day);
        assert_eq!(interval(from, from + chrono::Duration::days(365)), ReportInterval::Week);
        assert_eq!(
            interval(from, from + chrono::Duration::days(1000)),
            ReportInterval::Month
        );
    }
}
