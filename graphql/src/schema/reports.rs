//! `councilReport(councilId, from, to)`: a council's bookings and spend,
//! for its officers and admins: totals of the bookings that stand, which
//! add up (price = subsidy + households' share), the cancelled ones apart,
//! and per scheme (exact, as the contract fixes them), and the breakdowns reports chart — per zone and
//! over time against the schemes' budgets — computed by bookings in SQL,
//! with their counts from 1 to 9 suppressed (`null`).

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roundabout_api::ErrorCode;
use roundabout_api::{
    bookings::ReportData,
    eligibility::SchemeData,
    graphql::CheckedInt,
    states::{ReportInterval, SchemeStatus},
    Pence,
};
use uuid::Uuid;

use crate::{
    schema::{
        errors::{self, coded},
        ids::parse_id,
        request::RequestCtx,
        schemes::Scheme,
        zones::{load_zones, Zone},
    },
    services::Gateway,
};
use roundabout_api::{bookings::ReportIn, routes};

/// One scheme's part of a report.
#[derive(SimpleObject)]
pub struct SchemeSpend {
    /// The scheme.
    pub scheme: Scheme,
    /// Bookings it subsidises made in the period (not cancelled).
    pub bookings: CheckedInt,
    /// Its subsidy on those bookings, in pence.
    pub subsidy_pence: CheckedInt,
    /// `subsidyPence` exact to 64 bits, as a `Pence` string.
    pub subsidy_amount: Pence,
    /// Everything committed against its budget now, in pence.
    pub committed_pence: CheckedInt,
    /// `committedPence` exact to 64 bits, as a `Pence` string.
    pub committed_amount: Pence,
    /// What its budget has left now, in pence.
    pub remaining_pence: CheckedInt,
    /// `remainingPence` exact to 64 bits, as a `Pence` string.
    pub remaining_amount: Pence,
}

/// One zone's part of a report: bookings of households living in it when
/// they booked. Counts from 1 to 9 are null (too few to show).
#[derive(SimpleObject)]
pub struct ZoneSpend {
    /// The zone; null for households outside every zone of the council.
    pub zone: Option<Zone>,
    /// Bookings that stand (not cancelled); null for 1 to 9.
    pub bookings: Option<CheckedInt>,
    /// Households that booked; null for 1 to 9.
    pub households: Option<CheckedInt>,
    /// The schemes' subsidy on those bookings, in pence.
    pub subsidy_pence: CheckedInt,
    /// `subsidyPence` exact to 64 bits, as a `Pence` string.
    pub subsidy_amount: Pence,
}

/// One day, week or month of a report.
#[derive(SimpleObject)]
pub struct SpendPoint {
    /// Its first day (UK), as an ISO 8601 date, e.g. 2026-12-01.
    pub start: String,
    /// Bookings made in it that stand (not cancelled); null for 1 to 9.
    pub bookings: Option<CheckedInt>,
    /// The schemes' subsidy on those bookings, in pence.
    pub subsidy_pence: CheckedInt,
    /// `subsidyPence` exact to 64 bits, as a `Pence` string.
    pub subsidy_amount: Pence,
    /// Subsidy committed by the end of it: before the period, and in the
    /// period up to here, in pence.
    pub spent_to_date_pence: CheckedInt,
    /// `spentToDatePence` exact to 64 bits, as a `Pence` string.
    pub spent_to_date_amount: Pence,
}

/// Subsidy over the period against the schemes' budgets.
#[derive(SimpleObject)]
pub struct SpendOverTime {
    /// How long each point is.
    pub interval: ReportInterval,
    /// The budgets of the council's published schemes (each scheme's latest
    /// published version), in pence.
    pub budget_pence: CheckedInt,
    /// `budgetPence` exact to 64 bits, as a `Pence` string.
    pub budget_amount: Pence,
    /// Subsidy of the council's bookings made before the period and not
    /// cancelled, in pence.
    pub spent_before_pence: CheckedInt,
    /// `spentBeforePence` exact to 64 bits, as a `Pence` string.
    pub spent_before_amount: Pence,
    /// Every day, week or month of the period, in order, empty ones too.
    pub points: Vec<SpendPoint>,
}

/// A council's bookings made in a period, and their money. Every figure
/// but the cancellations' is of the bookings that stand (confirmed, active
/// or completed), so `grossPence = subsidyPence + householdPaidPence`;
/// bookings cancelled after they were confirmed are counted apart.
#[derive(SimpleObject)]
pub struct CouncilReport {
    /// Bookings made in the period that stand (not cancelled).
    pub bookings: CheckedInt,
    /// Households with a booking that stands.
    pub households: CheckedInt,
    /// The whole price of the bookings that stand (a lease's whole term), in pence.
    pub gross_pence: CheckedInt,
    /// `grossPence` exact to 64 bits, as a `Pence` string.
    pub gross_amount: Pence,
    /// What the schemes pay towards them, in pence.
    pub subsidy_pence: CheckedInt,
    /// `subsidyPence` exact to 64 bits, as a `Pence` string.
    pub subsidy_amount: Pence,
    /// The households' share of their price (gross less subsidy), paid or
    /// still to pay — an invoice, a lease's later months — in pence.
    pub household_paid_pence: CheckedInt,
    /// `householdPaidPence` exact to 64 bits, as a `Pence` string.
    pub household_paid_amount: Pence,
    /// What households got back for bookings cancelled after they were
    /// confirmed, in pence.
    pub refunded_pence: CheckedInt,
    /// `refundedPence` exact to 64 bits, as a `Pence` string.
    pub refunded_amount: Pence,
    /// Bookings made in the period and cancelled after they were confirmed
    /// (in none of the other figures).
    pub cancelled_bookings: CheckedInt,
    /// What households had paid for cancelled bookings and did not get back
    /// (cancelled less than 24 hours before the start), in pence.
    pub cancellation_charges_pence: CheckedInt,
    /// `cancellationChargesPence` exact to 64 bits, as a `Pence` string.
    pub cancellation_charges_amount: Pence,
    /// Per scheme.
    pub by_scheme: Vec<SchemeSpend>,
    /// Per zone the households lived in when they booked: a booking in
    /// overlapping zones counts in each, so the zones may add up to more
    /// than the totals. Bookings outside every zone come last (zone null).
    pub by_zone: Vec<ZoneSpend>,
    /// The period day by day (week by week over 62 days, month by month
    /// over two years), against the budgets.
    pub spend_over_time: SpendOverTime,
}

#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// Officer of the council (or admin).
    async fn council_report(
        &self,
        ctx: &Context<'_>,
        council_id: ID,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> async_graphql::Result<CouncilReport> {
        let session = &RequestCtx::get(ctx).session;
        let p = session.0.as_ref().ok_or_else(errors::unauthenticated)?;
        let council = parse_id(&council_id).ok_or_else(|| coded(ErrorCode::NotFound, "There is no such council"))?;
        if !(p.is_admin() || p.officer_of.contains(&council)) {
            return Err(errors::forbidden(
                "Only the council's officers and admins see its report",
            ));
        }
        let g = ctx.data_unchecked::<Gateway>();
        let path = format!(
            "{}{}",
            routes::bookings::council_report(council),
            ReportIn { from, to }.to_query()
        );
        let caller = session.caller();
        let budgets_path = routes::eligibility::council_schemes(council);
        let (r, budgets) = tokio::join!(
            g.services.bookings.get::<ReportData>(&path, &caller),
            g.services.eligibility.get::<Vec<SchemeData>>(&budgets_path, &caller)
        );
        let r = r.map_err(errors::read_error)?;
        let budget_pence = total_budget(&budgets.map_err(errors::read_error)?);
        let mut by_scheme = Vec::with_capacity(r.by_scheme.len());
        for line in r.by_scheme {
            if let Some(scheme) = Scheme::load(ctx, line.scheme_id).await? {
                by_scheme.push(SchemeSpend {
                    committed_pence: scheme.0.committed_pence.into(),
                    committed_amount: scheme.0.committed_pence,
                    remaining_pence: scheme.0.remaining_pence.into(),
                    remaining_amount: scheme.0.remaining_pence,
                    scheme,
                    bookings: line.bookings.into(),
                    subsidy_pence: line.subsidy_pence.into(),
                    subsidy_amount: line.subsidy_pence,
                });
            }
        }
        let ids: Vec<Uuid> = r.by_zone.iter().filter_map(|z| z.zone_id).collect();
        let zones = load_zones(ctx, &ids).await?;
        let count = |n: Option<i64>| n.map(CheckedInt);
        let by_zone = r
            .by_zone
            .into_iter()
            .filter_map(|z| {
                let zone = match z.zone_id {
                    Some(id) => Some(Zone(zones.iter().find(|found| found.0.id == id)?.0.clone())),
                    None => None,
                };
                Some(ZoneSpend {
                    zone,
                    bookings: count(z.bookings),
                    households: count(z.households),
                    subsidy_pence: z.subsidy_pence.into(),
                    subsidy_amount: z.subsidy_pence,
                })
            })
            .collect();
        let spend_over_time = SpendOverTime {
            interval: r.over_time.interval,
            budget_pence: budget_pence.into(),
            budget_amount: budget_pence,
            spent_before_pence: r.over_time.spent_before_pence.into(),
            spent_before_amount: r.over_time.spent_before_pence,
            points: r
                .over_time
                .points
                .into_iter()
                .map(|p| SpendPoint {
                    start: p.start.to_string(),
                    bookings: count(p.bookings),
                    subsidy_pence: p.subsidy_pence.into(),
                    subsidy_amount: p.subsidy_pence,
                    spent_to_date_pence: p.spent_to_date_pence.into(),
                    spent_to_date_amount: p.spent_to_date_pence,
                })
                .collect(),
        };
        Ok(CouncilReport {
            bookings: r.totals.bookings.into(),
            households: r.totals.households.into(),
            gross_pence: r.totals.gross_pence.into(),
            gross_amount: r.totals.gross_pence,
            subsidy_pence: r.totals.subsidy_pence.into(),
            subsidy_amount: r.totals.subsidy_pence,
            household_paid_pence: r.totals.household_paid_pence.into(),
            household_paid_amount: r.totals.household_paid_pence,
            refunded_pence: r.totals.refunded_pence.into(),
            refunded_amount: r.totals.refunded_pence,
            cancelled_bookings: r.totals.cancelled_bookings.into(),
            cancellation_charges_pence: r.totals.cancellation_charges_pence.into(),
            cancellation_charges_amount: r.totals.cancellation_charges_pence,
            by_scheme,
            by_zone,
            spend_over_time,
        })
    }
}

/// The budget of each published scheme's latest published version.
fn total_budget(versions: &[SchemeData]) -> Pence {
    let mut latest: std::collections::HashMap<Uuid, (i32, Pence)> = std::collections::HashMap::new();
    for v in versions.iter().filter(|v| v.status != SchemeStatus::Draft) {
        let e = latest.entry(v.line_id).or_insert((v.version, v.budget_pence));
        if v.version > e.0 {
            *e = (v.version, v.budget_pence);
        }
    }
    latest.values().map(|(_, b)| *b).sum()
}
