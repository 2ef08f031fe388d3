//! Writing a scheme: the draft's form with the criteria builder
//! (`createScheme`, `updateScheme`), its page with criteria, test cases
//! and their results, adding a test case (`addSchemeTestCase`), trying it
//! on the council's households (`simulateScheme`), and publishing,
//! revising, pausing or closing it, each after a confirmation page.

use askama::Template;
use axum::{
    extract::{Path, State},
    routing::get,
    Router,
};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

mod form;
mod life;
mod try_it;

use super::{
    criteria::{self},
    Zone,
};
use crate::{
    error::{see_other, PageError, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::{GatewayError, UserError},
    pages::{
        render, render_refused,
        vocabulary::{self, filters, pounds, BENEFITS},
        with_session,
    },
    session::{OfficerUser, SignedIn},
    views::Layout,
    AppState,
};
use form::{create, edit, edit_page, new_page, pence_typed};
use life::{add_test_case, confirm_page, do_step, test_case_page};
use try_it::try_it;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officer/schemes/new", get(new_page).post(create))
        .route("/officer/schemes/{id}", get(show))
        .route("/officer/schemes/{id}/edit", get(edit_page).post(edit))
        .route(
            "/officer/schemes/{id}/test-cases",
            get(test_case_page).post(add_test_case),
        )
        .route("/officer/schemes/{id}/try", get(try_it))
        .route("/officer/schemes/{id}/{step}", get(confirm_page).post(do_step))
}

const FULL_SCHEME: &str = "id name description status version effectiveFrom effectiveTo zones { id name } \
     criteria { id label rule failText } subsidy { percentBasisPoints capPerBookingPence } appliesTo \
     budgetPence: budgetAmount committedPence: committedAmount remainingPence: remainingAmount testCases { id name facts expectEligible lastResult }";

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Criterion {
    pub id: String,
    pub label: String,
    pub rule: Value,
    pub fail_text: String,
}

impl Criterion {
    /// The message a household reads when it does not meet the criterion,
    /// with its blanks named for the officer.
    pub fn fail_words(&self) -> String {
        self.fail_text
            .replace("{value}", "[their answer]")
            .replace("{limit}", "[the limit]")
    }
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Subsidy {
    pub percent_basis_points: i64,
    pub cap_per_booking_pence: Option<i64>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    pub name: String,
    pub facts: Value,
    pub expect_eligible: bool,
    pub last_result: Option<bool>,
}

impl TestCase {
    /// The facts in words: "2 people, income £18,000, …".
    pub fn facts_words(&self) -> String {
        let h = &self.facts["household"];
        let mut out = Vec::new();
        let num = |k: &str| h[k].as_i64();
        if let Some(n) = num("members") {
            out.push(vocabulary::plural(n, "person", "people"));
        }
        if let Some(p) = num("annualIncomePence") {
            out.push(format!("income {}", pounds(p)));
        }
        if let Some(n) = num("carsOwned") {
            out.push(vocabulary::plural(n, "car", "cars"));
        }
        if let Some(n) = num("leadAge") {
            out.push(format!("lead member aged {n}"));
        }
        if let Some(b) = h["blueBadge"].as_bool() {
            out.push(if b { "Blue Badge" } else { "no Blue Badge" }.into());
        }
        if let Some(list) = h["benefits"].as_array() {
            let names: Vec<String> = list
                .iter()
                .filter_map(Value::as_str)
                .map(|c| vocabulary::benefit_words(c).to_string())
                .collect();
            out.push(if names.is_empty() {
                "no benefits".into()
            } else {
                names.join(" and ")
            });
        }
        let needs = &h["needs"];
        if let Some(n) = needs["seats"].as_i64() {
            out.push(format!("needs {}", vocabulary::plural(n, "seat", "seats")));
        }
        if needs["wheelchairAccessible"].as_bool() == Some(true) {
            out.push("needs a wheelchair-accessible vehicle".into());
        }
        if needs["electricPreferred"].as_bool() == Some(true) {
            out.push("prefers electric".into());
        }
        if out.is_empty() {
            "no facts known".into()
        } else {
            out.join(", ")
        }
    }

    /// (words, tag class) of the last run against the expectation.
    pub fn outcome(&self) -> (&'static str, &'static str) {
        match self.last_result {
            None => ("Not run", "govuk-tag--grey"),
            Some(r) if r == self.expect_eligible => ("Passes", "govuk-tag--green"),
            Some(_) => ("Fails", "govuk-tag--red"),
        }
    }
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Scheme {
    pub id: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub version: i64,
    pub effective_from: Option<chrono::DateTime<Utc>>,
    pub effective_to: Option<chrono::DateTime<Utc>>,
    pub zones: Vec<Zone>,
    pub criteria: Vec<Criterion>,
    pub subsidy: Subsidy,
    pub applies_to: Vec<String>,
    #[serde(deserialize_with = "crate::views::amount")]
    pub budget_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    pub committed_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    pub remaining_pence: i64,
    pub test_cases: Vec<TestCase>,
}

impl Scheme {
    pub fn subsidy_words(&self) -> String {
        let pct = percent(self.subsidy.percent_basis_points);
        match self.subsidy.cap_per_booking_pence {
            Some(cap) => format!(
                "{pct} of the price, at most {} a booking (a month for a lease)",
                pounds(cap)
            ),
            None => format!("{pct} of the price"),
        }
    }

    pub fn applies_words(&self) -> String {
        let words: Vec<&str> = self
            .applies_to
            .iter()
            .map(|k| if k == "HIRE" { "hires" } else { "leases" })
            .collect();
        words.join(" and ")
    }

    pub fn zone_words(&self) -> String {
        if self.zones.is_empty() {
            "The whole council".into()
        } else {
            self.zones
                .iter()
                .map(|z| z.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    pub fn period_words(&self) -> String {
        let from = match self.effective_from {
            Some(t) => format!("From {}", vocabulary::day(t)),
            None => "From when it is published".into(),
        };
        match self.effective_to {
            Some(t) => format!("{from} to the end of {}", vocabulary::day(t - Duration::seconds(1))),
            None => format!("{from}, with no end date"),
        }
    }

    pub fn combined_rule(&self) -> String {
        let c: Vec<Value> = self.criteria.iter().map(|c| json!({"rule": c.rule})).collect();
        if c.is_empty() {
            String::new()
        } else {
            criteria::combined(&c)
        }
    }

    pub fn is(&self, status: &str) -> bool {
        self.status == status
    }
}

/// 4000 basis points: "40%"; 1250: "12.5%".
fn percent(bp: i64) -> String {
    if bp % 100 == 0 {
        format!("{}%", bp / 100)
    } else {
        format!("{}%", (bp as f64 / 100.0))
    }
}

/// The council's id and name, its zones, and its scheme `id` (not found
/// when it is not one of them).
async fn scheme(s: &AppState, user: &SignedIn, id: &str) -> Result<(super::Council, Scheme), PageError> {
    #[derive(Deserialize)]
    struct C {
        id: String,
        name: String,
        zones: Vec<Zone>,
        schemes: Vec<Scheme>,
    }
    let c: C = super::officer_council(
        s,
        user,
        &format!("id name zones {{ id name }} schemes {{ {FULL_SCHEME} }}"),
    )
    .await?;
    let found = c.schemes.into_iter().find(|x| x.id == id).ok_or(PageError::NotFound)?;
    Ok((
        super::Council {
            id: c.id,
            name: c.name,
            boundary: Value::Null,
            zones: c.zones,
            schemes: Vec::new(),
            providers: Vec::new(),
        },
        found,
    ))
}

// ---------------------------------------------------------------- the form

#[derive(Template)]
#[template(path = "officer/scheme.html")]
struct SchemePage {
    l: Layout,
    council: String,
    s: Scheme,
}

async fn show(State(s): State<AppState>, user: OfficerUser, Path(id): Path<String>) -> PageResult {
    let (c, sc) = scheme(&s, &user, &id).await?;
    render(&SchemePage {
        l: Layout::new(&user.session, sc.name.clone(), "/officer/schemes"),
        council: c.name,
        s: sc,
    })
}
