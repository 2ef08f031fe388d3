//! Council officers' reports: a period (the last 30 days unless chosen),
//! the totals, spend against the schemes' budgets over time, bookings and
//! subsidy by scheme and by zone — each chart drawn as SVG on the server
//! with its data as a table — and the same as a CSV download.
//!
//! Counts from 1 to 9 are written "fewer than 10", on the page and in the
//! CSV, and their bars are not drawn.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::{header, StatusCode},
    response::IntoResponse,
    routing::get,
    Router,
};
use chrono::{Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::{
    charts::{self, BarChart, LineChart},
    error::{see_other, PageError, PageResult},
    form::{DateInput, Errors, FormData},
    gateway::GatewayError,
    pages::{
        render, render_refused,
        vocabulary::{self, filters, pounds},
    },
    session::{OfficerUser, SignedIn},
    views::{self, Layout},
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officer/reports", get(page))
        .route("/officer/reports.csv", get(csv))
}

/// The longest period a report covers (as the API allows).
const MAX_DAYS: i64 = 3660;

/// A report's period: whole UK days, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The last 30 days, today included.
    pub fn last_30_days(today: NaiveDate) -> Self {
        Self {
            from: today - Duration::days(29),
            to: today,
        }
    }

    /// Checks the six date fields (`from-day` … `to-year`); all empty means
    /// the last 30 days. Messages are GOV.UK's date-input ones.
    pub fn parse(f: &FormData, today: NaiveDate) -> Result<Period, Errors> {
        let names = ["from-day", "from-month", "from-year", "to-day", "to-month", "to-year"];
        if names.iter().all(|n| f.get(n).is_empty()) {
            return Ok(Self::last_30_days(today));
        }
        let mut errors = Errors::default();
        let from = date(f, "from", "start date", today, &mut errors);
        let to = date(f, "to", "end date", today, &mut errors);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.add("to-day", "The end date must be the same as or after the start date");
            } else if (to - from).num_days() + 1 > MAX_DAYS {
                errors.add("from-day", "A report can cover at most 10 years");
            }
        }
        match (from, to) {
            (Some(from), Some(to)) if errors.is_empty() => Ok(Period { from, to }),
            _ => Err(errors),
        }
    }

    /// The fields of the period, as the form sends them.
    pub fn query(&self) -> String {
        format!(
            "from-day={}&from-month={}&from-year={}&to-day={}&to-month={}&to-year={}",
            self.from.format("%-d"),
            self.from.format("%-m"),
            self.from.format("%Y"),
            self.to.format("%-d"),
            self.to.format("%-m"),
            self.to.format("%Y")
        )
    }

    fn form(&self) -> FormData {
        FormData(
            self.query()
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// "1 to 30 November 2026", "31 October to 29 November 2026".
    pub fn words(&self) -> String {
        let (f, t) = (self.from, self.to);
        if f == t {
            t.format("%-d %B %Y").to_string()
        } else if f.format("%Y%m").to_string() == t.format("%Y%m").to_string() {
            format!("{} to {}", f.format("%-d"), t.format("%-d %B %Y"))
        } else if f.format("%Y").to_string() == t.format("%Y").to_string() {
            format!("{} to {}", f.format("%-d %B"), t.format("%-d %B %Y"))
        } else {
            format!("{} to {}", f.format("%-d %B %Y"), t.format("%-d %B %Y"))
        }
    }

    /// `[start of from, start of the day after to)` in UTC, for the API.
    fn instants(&self) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
        let midnight = |d: NaiveDate| views::from_uk(d.and_hms_opt(0, 0, 0).expect("midnight exists"));
        (midnight(self.from), midnight(self.to + Duration::days(1)))
    }
}

/// One date input (`{id}-day`, `{id}-month`, `{id}-year`); the message goes
/// to `{id}-day`.
fn date(f: &FormData, id: &str, what: &str, today: NaiveDate, errors: &mut Errors) -> Option<NaiveDate> {
    let field = format!("{id}-day");
    let problem = match f.date(id) {
        DateInput::Date(d) if d <= today => return Some(d),
        DateInput::Date(_) => format!("The {what} must be today or in the past"),
        DateInput::Empty => format!("Enter the {what}"),
        DateInput::Missing(part) => format!("The {what} must include a {part}"),
        DateInput::Invalid => format!("The {what} must be a real date, like 1 11 2026"),
    };
    errors.add(&field, problem);
    None
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemeLine {
    scheme: Named,
    bookings: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    subsidy_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    committed_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    remaining_pence: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ZoneLine {
    zone: Option<Named>,
    bookings: Option<i64>,
    households: Option<i64>,
    #[serde(deserialize_with = "crate::views::amount")]
    subsidy_pence: i64,
}

impl ZoneLine {
    fn name(&self) -> &str {
        self.zone.as_ref().map_or("Outside every zone", |z| z.name.as_str())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Point {
    start: NaiveDate,
    bookings: Option<i64>,
    #[serde(deserialize_with = "crate::views::amount")]
    subsidy_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    spent_to_date_pence: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OverTime {
    interval: String,
    #[serde(deserialize_with = "crate::views::amount")]
    budget_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    spent_before_pence: i64,
    points: Vec<Point>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    bookings: i64,
    households: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    gross_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    subsidy_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    household_paid_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    refunded_pence: i64,
    cancelled_bookings: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    cancellation_charges_pence: i64,
    by_scheme: Vec<SchemeLine>,
    by_zone: Vec<ZoneLine>,
    spend_over_time: OverTime,
}

const REPORT: &str = "query($c: ID!, $f: DateTime!, $t: DateTime!) { councilReport(councilId: $c, from: $f, to: $t) { \
    bookings households grossPence: grossAmount subsidyPence: subsidyAmount householdPaidPence: householdPaidAmount \
    refundedPence: refundedAmount cancelledBookings cancellationChargesPence: cancellationChargesAmount \
    byScheme { scheme { name } bookings subsidyPence: subsidyAmount committedPence: committedAmount remainingPence: remainingAmount } \
    byZone { zone { name } bookings households subsidyPence: subsidyAmount } \
    spendOverTime { interval budgetPence: budgetAmount spentBeforePence: spentBeforeAmount \
    points { start bookings subsidyPence: subsidyAmount spentToDatePence: spentToDateAmount } } } }";

/// The officer's council (id, name).
async fn council(s: &AppState, user: &SignedIn) -> Result<(String, String), PageError> {
    let c = super::officer::council(s, user, "").await?;
    Ok((c.id, c.name))
}

/// The report of the period, or the API's refusal of it (next to `to-day`).
async fn report(s: &AppState, user: &SignedIn, council: &str, p: &Period) -> Result<Result<Report, Errors>, PageError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Data {
        council_report: Report,
    }
    let (from, to) = p.instants();
    match s
        .gateway
        .query::<Data>(Some(&user.token), REPORT, json!({"c": council, "f": from, "t": to}))
        .await
    {
        Ok(d) => Ok(Ok(d.council_report)),
        Err(GatewayError::Invalid(message)) => {
            let mut e = Errors::default();
            e.add("to-day", message);
            Ok(Err(e))
        }
        Err(e) => Err(e.into()),
    }
}

/// How a point of the series is named: in charts (short) and tables.
fn point_names(interval: &str, d: NaiveDate) -> (String, String) {
    match interval {
        "MONTH" => (d.format("%b %Y").to_string(), d.format("%B %Y").to_string()),
        "WEEK" => (
            d.format("%-d %b").to_string(),
            format!("Week from {}", d.format("%-d %B %Y")),
        ),
        _ => (d.format("%-d %b").to_string(), d.format("%-d %B %Y").to_string()),
    }
}

/// A row of a table under a chart.
pub struct Row {
    pub name: String,
    pub cells: Vec<String>,
}

/// The cancelled bookings in words: how many, what households got back (a
/// card refund or an invoice reduced: "given back" is true of both), what
/// was kept.
fn cancelled(r: &Report) -> String {
    if r.cancelled_bookings == 0 {
        return "None".to_string();
    }
    // 1 is never shown (it is "fewer than 10"), so always "bookings".
    let n = charts::count(Some(r.cancelled_bookings));
    let mut words = format!("{n} bookings, {} given back", pounds(r.refunded_pence));
    if r.cancellation_charges_pence > 0 {
        words.push_str(&format!(
            ", {} kept as cancellation charges",
            pounds(r.cancellation_charges_pence)
        ));
    }
    words
}

/// What the page shows of a report.
pub struct Shown {
    pub bookings: String,
    pub households: String,
    pub gross_pence: i64,
    pub subsidy_pence: i64,
    pub household_paid_pence: i64,
    /// "Cancelled: 3 bookings, £X given back, £Y kept as cancellation charges" (without "Cancelled").
    pub cancelled: String,
    pub budget_pence: i64,
    pub spent_before_pence: i64,
    pub point_heading: &'static str,
    pub spend: LineChart,
    pub spend_rows: Vec<Row>,
    pub scheme_bookings: BarChart,
    pub scheme_subsidy: BarChart,
    pub scheme_rows: Vec<Row>,
    pub zone_bookings: BarChart,
    pub zone_subsidy: BarChart,
    pub zone_rows: Vec<Row>,
    pub spent_to_date_pence: i64,
}

fn show(r: &Report) -> Shown {
    let t = &r.spend_over_time;
    let names: Vec<(String, String)> = t.points.iter().map(|p| point_names(&t.interval, p.start)).collect();
    let spend = LineChart::new(
        &t.points.iter().map(|p| p.spent_to_date_pence).collect::<Vec<_>>(),
        &names.iter().map(|n| n.0.clone()).collect::<Vec<_>>(),
        Some(t.budget_pence),
    );
    let spend_rows = t
        .points
        .iter()
        .zip(names)
        .map(|(p, (_, long))| Row {
            name: long,
            cells: vec![
                charts::count(p.bookings),
                pounds(p.subsidy_pence),
                pounds(p.spent_to_date_pence),
            ],
        })
        .collect();
    let scheme_bookings = BarChart::new(
        r.by_scheme
            .iter()
            .map(|l| {
                (
                    l.scheme.name.clone(),
                    charts::shown(Some(l.bookings)),
                    charts::count(Some(l.bookings)),
                )
            })
            .collect(),
    );
    let scheme_subsidy = BarChart::new(
        r.by_scheme
            .iter()
            .map(|l| (l.scheme.name.clone(), Some(l.subsidy_pence), pounds(l.subsidy_pence)))
            .collect(),
    );
    let scheme_rows = r
        .by_scheme
        .iter()
        .map(|l| Row {
            name: l.scheme.name.clone(),
            cells: vec![
                charts::count(Some(l.bookings)),
                pounds(l.subsidy_pence),
                pounds(l.committed_pence),
                pounds(l.remaining_pence),
            ],
        })
        .collect();
    let zone_bookings = BarChart::new(
        r.by_zone
            .iter()
            .map(|z| {
                (
                    z.name().to_string(),
                    charts::shown(z.bookings),
                    charts::count(z.bookings),
                )
            })
            .collect(),
    );
    let zone_subsidy = BarChart::new(
        r.by_zone
            .iter()
            .map(|z| (z.name().to_string(), Some(z.subsidy_pence), pounds(z.subsidy_pence)))
            .collect(),
    );
    let zone_rows = r
        .by_zone
        .iter()
        .map(|z| Row {
            name: z.name().to_string(),
            cells: vec![
                charts::count(z.bookings),
                charts::count(z.households),
                pounds(z.subsidy_pence),
            ],
        })
        .collect();
    Shown {
        bookings: charts::count(Some(r.bookings)),
        households: charts::count(Some(r.households)),
        gross_pence: r.gross_pence,
        subsidy_pence: r.subsidy_pence,
        household_paid_pence: r.household_paid_pence,
        cancelled: cancelled(r),
        budget_pence: t.budget_pence,
        spent_before_pence: t.spent_before_pence,
        spent_to_date_pence: t.points.last().map_or(t.spent_before_pence, |p| p.spent_to_date_pence),
        point_heading: match t.interval.as_str() {
            "MONTH" => "Month",
            "WEEK" => "Week",
            _ => "Day",
        },
        spend,
        spend_rows,
        scheme_bookings,
        scheme_subsidy,
        scheme_rows,
        zone_bookings,
        zone_subsidy,
        zone_rows,
    }
}

#[derive(Template)]
#[template(path = "officer/reports.html")]
struct ReportsPage {
    l: Layout,
    council: String,
    form: FormData,
    errors: Errors,
    period: Option<Period>,
    shown: Option<Shown>,
}

fn today() -> NaiveDate {
    views::to_uk(Utc::now()).date()
}

async fn page(State(s): State<AppState>, user: OfficerUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let (council_id, council) = council(&s, &user).await?;
    let typed = FormData(q);
    let refused = |errors: Errors, form: FormData| {
        render_refused(&ReportsPage {
            l: Layout::new(&user.session, "Reports", "/officer/reports").with_errors(&errors),
            council: council.clone(),
            form,
            errors,
            period: None,
            shown: None,
        })
    };
    let period = match Period::parse(&typed, today()) {
        Ok(p) => p,
        Err(errors) => return refused(errors, typed),
    };
    let r = match report(&s, &user, &council_id, &period).await? {
        Ok(r) => r,
        Err(errors) => return refused(errors, typed),
    };
    render(&ReportsPage {
        l: Layout::new(&user.session, "Reports", "/officer/reports"),
        council: council.clone(),
        form: period.form(),
        errors: Errors::default(),
        period: Some(period),
        shown: Some(show(&r)),
    })
}

/// A CSV field: quoted when it has to be, and never read as a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Pence as pounds for a spreadsheet: `1234.50`.
fn money(pence: i64) -> String {
    roundabout_api::Pence(pence).decimal().to_string()
}

/// The report as one table: the totals, then a row per scheme, per zone and
/// per day (week, month) of the period.
fn csv_of(r: &Report, p: &Period) -> String {
    let mut out = String::from("Breakdown,Name,Bookings,Households,Subsidy (£),Spent to date (£)\r\n");
    let mut row = |cells: [&str; 6]| {
        out.push_str(&cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    };
    let t = &r.spend_over_time;
    let spent = t.points.last().map_or(t.spent_before_pence, |p| p.spent_to_date_pence);
    row([
        "Total",
        &p.words(),
        &charts::count(Some(r.bookings)),
        &charts::count(Some(r.households)),
        &money(r.subsidy_pence),
        &money(spent),
    ]);
    row([
        "Cancelled",
        &p.words(),
        &charts::count(Some(r.cancelled_bookings)),
        "",
        "",
        "",
    ]);
    for l in &r.by_scheme {
        row([
            "Scheme",
            &l.scheme.name,
            &charts::count(Some(l.bookings)),
            "",
            &money(l.subsidy_pence),
            "",
        ]);
    }
    for z in &r.by_zone {
        row([
            "Zone",
            z.name(),
            &charts::count(z.bookings),
            &charts::count(z.households),
            &money(z.subsidy_pence),
            "",
        ]);
    }
    let kind = match t.interval.as_str() {
        "MONTH" => "Month",
        "WEEK" => "Week",
        _ => "Day",
    };
    for pt in &t.points {
        row([
            kind,
            &pt.start.to_string(),
            &charts::count(pt.bookings),
            "",
            &money(pt.subsidy_pence),
            &money(pt.spent_to_date_pence),
        ]);
    }
    out
}

async fn csv(State(s): State<AppState>, user: OfficerUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let typed = FormData(q);
    let Ok(period) = Period::parse(&typed, today()) else {
        // The page says what is wrong, next to the field.
        let query: Vec<String> = typed
            .0
            .iter()
            .map(|(k, v)| format!("{}={}", vocabulary::urlencode(k), vocabulary::urlencode(v)))
            .collect();
        return Ok(see_other(&format!("/officer/reports?{}", query.join("&"))));
    };
    let (council_id, _) = council(&s, &user).await?;
    let r = match report(&s, &user, &council_id, &period).await? {
        Ok(r) => r,
        Err(_) => return Ok(see_other(&format!("/officer/reports?{}", period.query()))),
    };
    let name = format!("roundabout-report-{}-to-{}.csv", period.from, period.to);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        csv_of(&r, &period),
    )
        .into_response())
}

#[cfg(test)]
mod tests;
