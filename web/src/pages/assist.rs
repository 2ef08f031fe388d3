//! Assisted booking: a council officer finds a household of the council
//! and acts for it where its residents cannot use the web. The household's
//! own pages (profile, finding a vehicle, booking, its bookings and
//! cancelling) serve both: under `/officer/households/{id}` they act for
//! that household, with a banner saying so, and the API records every
//! action in the council's audit log with the officer's name.

use askama::Template;
use axum::{
    extract::{Query, State},
    routing::get,
    Router,
};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{PageError, PageResult},
    form::{Errors, FormData},
    gateway::GatewayError,
    pages::{
        household::bookings::Booking,
        render, render_refused,
        vocabulary::{self, filters},
    },
    session::{OfficerUser, SignedIn},
    views::Layout,
    AppState,
};

pub use super::acting::PREFIX;
use super::acting::{ActedFor, Acting};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PREFIX, get(search))
        .route(&format!("{PREFIX}/{{household}}"), get(household))
        .route(&format!("{PREFIX}/{{household}}/audit"), get(audit))
        .merge(super::household::acting_routes(&format!("{PREFIX}/{{household}}")))
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    pub id: String,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

impl Found {
    pub fn name(&self) -> String {
        self.display_name
            .clone()
            .or_else(|| self.email.clone())
            .unwrap_or_else(|| "Household".into())
    }
}

#[derive(Template)]
#[template(path = "officer/households.html")]
struct SearchPage {
    l: Layout,
    council: String,
    form: FormData,
    errors: Errors,
    /// After a search: the total and the page of households.
    results: Option<(i64, Vec<Found>)>,
    next: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

async fn search(State(s): State<AppState>, user: OfficerUser, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let form = FormData(q);
    #[derive(Deserialize)]
    struct Data {
        me: Me,
    }
    #[derive(Deserialize)]
    struct Me {
        council: Option<Council>,
    }
    #[derive(Deserialize)]
    struct Council {
        name: String,
        households: Conn,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Conn {
        total_count: i64,
        nodes: Vec<Found>,
        page_info: PageInfo,
    }
    let mut errors = Errors::default();
    let text = form.get("q");
    if text.chars().count() > 200 {
        errors.add("q", "Search text must be 200 characters or fewer");
    }
    let searched = form.0.iter().any(|(k, _)| k == "q");
    if searched && text.is_empty() {
        errors.add("q", "Enter part of the household's email address or name");
    }
    let run = searched && errors.is_empty();
    let after = Some(form.get("after")).filter(|a| !a.is_empty());
    let r = s
        .gateway
        .query::<Data>(
            Some(&user.token),
            "query($s: String, $run: Int!, $after: String) { me { council { name households(search: $s, first: $run, after: $after) { totalCount nodes { id email displayName } pageInfo { hasNextPage endCursor } } } } }",
            json!({"s": text, "run": if run { 20 } else { 0 }, "after": after}),
        )
        .await;
    let d = match r {
        Ok(d) => d,
        Err(GatewayError::Invalid(m)) => {
            errors.add("q", m);
            let page = SearchPage {
                l: Layout::new(&user.session, "Find a household", PREFIX).with_errors(&errors),
                council: String::new(),
                form,
                errors,
                results: None,
                next: None,
            };
            return render_refused(&page);
        }
        Err(e) => return Err(e.into()),
    };
    let c = d.me.council.ok_or(PageError::Forbidden)?;
    let next = c
        .households
        .page_info
        .end_cursor
        .filter(|_| run && c.households.page_info.has_next_page)
        .map(|cur| {
            format!(
                "{PREFIX}?q={}&after={}",
                vocabulary::urlencode(text),
                vocabulary::urlencode(&cur)
            )
        });
    let page = SearchPage {
        l: Layout::new(&user.session, "Find a household", PREFIX).with_errors(&errors),
        council: c.name,
        results: run.then_some((c.households.total_count, c.households.nodes)),
        form,
        errors,
        next,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        render_refused(&page)
    }
}

/// An assisted action, as the audit log shows it.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub officer_name: String,
    pub action: String,
    pub target_id: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

impl Entry {
    pub fn action_words(&self) -> &'static str {
        match self.action.as_str() {
            "PROFILE_READ" => "Looked at the household's details",
            "ELIGIBILITY_READ" => "Looked at what the household can get",
            "PROFILE_UPDATE" => "Changed the household's details",
            "OFFERS_SEARCH" => "Searched for vehicles",
            "BOOKING" => "Booked a vehicle",
            "DATA_EXPORT" => "Downloaded the household's data",
            "ERASURE_REQUEST" => "Closed the household's account",
            "CONTACT_UPDATE" => "Changed how the household hears from us",
            "CANCELLATION" => "Cancelled a booking",
            _ => "Something else",
        }
    }

    pub fn outcome_words(&self) -> String {
        match (self.outcome.as_str(), self.detail.as_deref()) {
            ("SUCCEEDED", Some(d)) => format!("Done ({d})"),
            ("SUCCEEDED", None) => "Done".into(),
            ("REFUSED", Some(d)) => format!("Refused: {}", d.to_lowercase().replace('_', " ")),
            ("REFUSED", None) => "Refused".into(),
            ("FAILED", _) => "Failed".into(),
            _ => "Not known".into(),
        }
    }

    pub fn reference(&self) -> Option<String> {
        self.target_id
            .as_ref()
            .filter(|_| matches!(self.action.as_str(), "BOOKING" | "CANCELLATION"))
            .map(|t| t.split('-').next().unwrap_or(t).to_uppercase())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub postcode: Option<String>,
    pub members: i64,
    pub annual_income_pence: Option<i64>,
    pub cars_owned: i64,
    pub blue_badge: bool,
    pub benefits: Vec<String>,
    pub lead_age: Option<i64>,
    pub needs: SummaryNeeds,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryNeeds {
    pub seats: i64,
    pub wheelchair_accessible: bool,
    pub electric_preferred: bool,
}

impl Summary {
    pub fn yes_no(&self, b: &bool) -> &'static str {
        if *b {
            "Yes"
        } else {
            "No"
        }
    }
}

#[derive(Template)]
#[template(path = "officer/household.html")]
struct HouseholdPage {
    l: Layout,
    h: ActedFor,
    council: String,
    profile: Option<Summary>,
    bookings: Vec<Booking>,
    entries: Vec<Entry>,
    more_entries: bool,
}

const PROFILE_FIELDS: &str = "profile { postcode members annualIncomePence carsOwned blueBadge benefits leadAge needs { seats wheelchairAccessible electricPreferred } }";

/// The council's audit log for one household: (entries, whether more follow, next cursor).
async fn entries(
    s: &AppState,
    user: &SignedIn,
    council: &str,
    household: &str,
    first: i64,
    after: Option<&str>,
) -> Result<(Vec<Entry>, Option<String>), PageError> {
    #[derive(Deserialize)]
    struct Data {
        council: Option<C>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct C {
        audit_log: Conn,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Conn {
        nodes: Vec<Entry>,
        page_info: PageInfo,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "query($c: ID!, $h: ID!, $first: Int!, $after: String) { council(id: $c) { auditLog(householdId: $h, first: $first, after: $after) { nodes { officerName action targetId outcome detail at } pageInfo { hasNextPage endCursor } } } }",
            json!({"c": council, "h": household, "first": first, "after": after}),
        )
        .await?;
    let conn = d.council.ok_or(PageError::NotFound)?.audit_log;
    let next = conn.page_info.end_cursor.filter(|_| conn.page_info.has_next_page);
    Ok((conn.nodes, next))
}

#[derive(Deserialize)]
struct Council {
    id: String,
    name: String,
}

async fn household(State(s): State<AppState>, a: Acting) -> PageResult {
    let h = a.household.clone().ok_or(PageError::NotFound)?;
    #[derive(Deserialize)]
    struct H {
        council: Council,
        profile: Option<Summary>,
        bookings: Conn,
    }
    #[derive(Deserialize)]
    struct Conn {
        nodes: Vec<Booking>,
    }
    let d: H = a
        .household(
            &s,
            "",
            &format!(
                "council {{ id name }} {PROFILE_FIELDS} bookings(first: 50) {{ nodes {{ {} }} }}",
                super::household::bookings::FIELDS
            ),
            json!({}),
        )
        .await?;
    let (entries, next) = entries(&s, &a, &d.council.id, &h.id, 10, None).await?;
    let mut bookings = d.bookings.nodes;
    bookings.reverse();
    render(&HouseholdPage {
        l: a.layout(h.name.clone(), PREFIX),
        h,
        council: d.council.name,
        profile: d.profile,
        bookings,
        entries,
        more_entries: next.is_some(),
    })
}

#[derive(Template)]
#[template(path = "officer/audit.html")]
struct AuditPage {
    l: Layout,
    h: ActedFor,
    entries: Vec<Entry>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct After {
    after: Option<String>,
}

async fn audit(State(s): State<AppState>, a: Acting, Query(p): Query<After>) -> PageResult {
    let h = a.household.clone().ok_or(PageError::NotFound)?;
    let c: Council = a
        .household::<HouseholdCouncil>(&s, "", "council { id name }", json!({}))
        .await?
        .council;
    let (entries, next) = match entries(&s, &a, &c.id, &h.id, 50, p.after.as_deref()).await {
        Ok(r) => r,
        // A cursor this list did not make: start again from the newest.
        Err(PageError::Internal(_)) if p.after.is_some() => {
            return Ok(crate::error::see_other(&format!("{}/audit", a.base())));
        }
        Err(e) => return Err(e),
    };
    render(&AuditPage {
        l: a.layout(format!("What officers did for {}", h.name), PREFIX),
        next: next.map(|c| format!("{}/audit?after={}", a.base(), vocabulary::urlencode(&c))),
        h,
        entries,
    })
}

#[derive(Deserialize)]
struct HouseholdCouncil {
    council: Council,
}
