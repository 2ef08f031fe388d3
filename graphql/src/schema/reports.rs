//! `councilReport(councilId, from, to)`: a council's bookings and spend,
//! for its officers and admins.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    schema::{
        bookings::pence,
        councils::parse_id,
        errors::{self, coded},
        request::RequestCtx,
        schemes::{load_scheme, Scheme},
    },
    services::Gateway,
};

#[derive(Debug, Deserialize)]
struct ReportData {
    bookings: i64,
    households: i64,
    gross_pence: i64,
    subsidy_pence: i64,
    household_paid_pence: i64,
    refunded_pence: i64,
    by_scheme: Vec<LineData>,
}

#[derive(Debug, Deserialize)]
struct LineData {
    scheme_id: Uuid,
    bookings: i64,
    subsidy_pence: i64,
}

/// One scheme's part of a report.
#[derive(SimpleObject)]
pub struct SchemeSpend {
    /// The scheme.
    pub scheme: Scheme,
    /// Bookings it subsidised in the period.
    pub bookings: i32,
    /// Its subsidy on those bookings, in pence.
    pub subsidy_pence: i32,
    /// Everything committed against its budget now, in pence.
    pub committed_pence: i32,
    /// What its budget has left now, in pence.
    pub remaining_pence: i32,
}

/// A council's bookings made in a period, and their money.
#[derive(SimpleObject)]
pub struct CouncilReport {
    /// Confirmed bookings (including those later cancelled).
    pub bookings: i32,
    /// Households that booked.
    pub households: i32,
    /// Their whole price, in pence.
    pub gross_pence: i32,
    /// What the schemes pay, in pence (cancelled bookings' subsidy is released).
    pub subsidy_pence: i32,
    /// What households paid, in pence (a lease's first month).
    pub household_paid_pence: i32,
    /// What cancellations refunded, in pence.
    pub refunded_pence: i32,
    /// Per scheme.
    pub by_scheme: Vec<SchemeSpend>,
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
        let council = parse_id(&council_id).ok_or_else(|| coded("NOT_FOUND", "There is no such council"))?;
        if !(p.is_admin() || p.officer_of.contains(&council)) {
            return Err(errors::forbidden(
                "Only the council's officers and admins see its report",
            ));
        }
        let g = ctx.data_unchecked::<Gateway>();
        let path = format!(
            "/internal/councils/{council}/report?from={}&to={}",
            urlencode(&from.to_rfc3339()),
            urlencode(&to.to_rfc3339())
        );
        let r: ReportData = g
            .services
            .bookings
            .get(&path, &session.caller())
            .await
            .map_err(errors::read_error)?;
        let mut by_scheme = Vec::with_capacity(r.by_scheme.len());
        for line in r.by_scheme {
            if let Some(scheme) = load_scheme(ctx, line.scheme_id).await? {
                by_scheme.push(SchemeSpend {
                    committed_pence: pence(scheme.0.committed_pence),
                    remaining_pence: pence(scheme.0.remaining_pence),
                    scheme,
                    bookings: pence(line.bookings),
                    subsidy_pence: pence(line.subsidy_pence),
                });
            }
        }
        Ok(CouncilReport {
            bookings: pence(r.bookings),
            households: pence(r.households),
            gross_pence: pence(r.gross_pence),
            subsidy_pence: pence(r.subsidy_pence),
            household_paid_pence: pence(r.household_paid_pence),
            refunded_pence: pence(r.refunded_pence),
            by_scheme,
        })
    }
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
