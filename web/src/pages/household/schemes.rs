//! "What you can get": every active scheme of the council, eligible or
//! not, with every reason in words.

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::PageResult,
    pages::{render, vocabulary::pounds},
    session::HouseholdUser,
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/schemes", get(page))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub scheme: Scheme,
    pub eligible: bool,
    pub reasons: Vec<Reason>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheme {
    pub name: String,
    pub subsidy: Subsidy,
    pub applies_to: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subsidy {
    pub percent_basis_points: i64,
    pub cap_per_booking_pence: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub label: String,
    pub passed: bool,
    pub explanation: String,
}

impl Scheme {
    /// "40% of the price, up to £120 a booking (a month for a lease)".
    pub fn offer(&self) -> String {
        let pct = self.subsidy.percent_basis_points as f64 / 100.0;
        let pct = if pct.fract() == 0.0 {
            format!("{pct:.0}%")
        } else {
            format!("{pct}%")
        };
        match self.subsidy.cap_per_booking_pence {
            Some(cap) => format!(
                "{pct} off the price, up to {} a booking (a month for a lease)",
                pounds(cap)
            ),
            None => format!("{pct} off the price"),
        }
    }

    pub fn kinds(&self) -> String {
        let words: Vec<&str> = self
            .applies_to
            .iter()
            .map(|k| if k == "LEASE" { "leases" } else { "hire" })
            .collect();
        words.join(" and ")
    }
}

#[derive(Template)]
#[template(path = "household/schemes.html")]
struct SchemesPage {
    l: Layout,
    council: String,
    has_profile: bool,
    decisions: Vec<Decision>,
    full_price: (&'static str, &'static str),
    answers_href: &'static str,
}

async fn page(State(s): State<AppState>, user: HouseholdUser) -> PageResult {
    #[derive(Deserialize)]
    struct Data {
        me: Me,
    }
    #[derive(Deserialize)]
    struct Me {
        household: H,
    }
    #[derive(Deserialize)]
    struct H {
        council: Named,
        profile: Option<serde_json::Value>,
        eligibility: Vec<Decision>,
    }
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "{ me { household { council { name } profile { members } eligibility { eligible scheme { name appliesTo subsidy { percentBasisPoints capPerBookingPence } } reasons { label passed explanation } } } } }",
            json!({}),
        )
        .await?;
    let h = d.me.household;
    let mut decisions = h.eligibility;
    decisions.sort_by_key(|d| !d.eligible);
    render(&SchemesPage {
        l: Layout::new(&user.session, "What you can get", "/schemes"),
        council: h.council.name,
        has_profile: h.profile.is_some(),
        decisions,
        full_price: ("Find a vehicle to hire or lease", "/find-a-vehicle"),
        answers_href: "/profile",
    })
}
