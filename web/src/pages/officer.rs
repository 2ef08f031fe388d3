//! Council officers: their council with its schemes and budgets, and the
//! providers that applied, to approve or suspend.

use askama::Template;
use axum::{
    extract::{Path, State},
    routing::{get, post},
    Router,
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageError, PageResult},
    form::CsrfForm,
    gateway::UserError,
    pages::{render, with_session},
    session::{OfficerUser, SignedIn},
    views::{pounds, Layout},
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officer", get(overview))
        .route("/officer/schemes", get(schemes))
        .route("/officer/providers", get(providers))
        .route("/officer/providers/{id}/{decision}", post(decide))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheme {
    pub name: String,
    pub status: String,
    pub version: i64,
    pub budget_pence: i64,
    pub committed_pence: i64,
    pub remaining_pence: i64,
}

impl Scheme {
    pub fn money(&self, p: &i64) -> String {
        pounds(*p)
    }

    pub fn status_words(&self) -> (&'static str, &'static str) {
        match self.status.as_str() {
            "ACTIVE" => ("Published", "govuk-tag--green"),
            "DRAFT" => ("Draft", "govuk-tag--grey"),
            "PAUSED" => ("Paused", "govuk-tag--yellow"),
            _ => ("Closed", "govuk-tag--red"),
        }
    }
}

#[derive(Deserialize)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub status: String,
}

impl Provider {
    pub fn status_words(&self) -> (&'static str, &'static str) {
        match self.status.as_str() {
            "APPROVED" => ("Approved", "govuk-tag--green"),
            "SUSPENDED" => ("Suspended", "govuk-tag--red"),
            _ => ("Waiting for approval", "govuk-tag--yellow"),
        }
    }
}

#[derive(Deserialize)]
struct Council {
    id: String,
    name: String,
    #[serde(default)]
    schemes: Vec<Scheme>,
    #[serde(default)]
    providers: Vec<Provider>,
}

async fn council(s: &AppState, user: &SignedIn, fields: &str) -> Result<Council, PageError> {
    #[derive(Deserialize)]
    struct Data {
        me: Me,
    }
    #[derive(Deserialize)]
    struct Me {
        council: Option<Council>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            &format!("{{ me {{ council {{ id name {fields} }} }} }}"),
            json!({}),
        )
        .await?;
    d.me.council.ok_or(PageError::Forbidden)
}

const SCHEME_FIELDS: &str = "schemes { name status version budgetPence committedPence remainingPence }";
const PROVIDER_FIELDS: &str = "providers { id name status }";

#[derive(Template)]
#[template(path = "officer/overview.html")]
struct OverviewPage {
    l: Layout,
    council: String,
    schemes: Vec<Scheme>,
    pending: usize,
}

async fn overview(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c = council(&s, &user, &format!("{SCHEME_FIELDS} {PROVIDER_FIELDS}")).await?;
    render(&OverviewPage {
        l: Layout::new(&user.session, c.name.clone(), "/officer"),
        council: c.name,
        pending: c.providers.iter().filter(|p| p.status == "PENDING").count(),
        schemes: c.schemes.into_iter().filter(|s| s.status == "ACTIVE").collect(),
    })
}

#[derive(Template)]
#[template(path = "officer/schemes.html")]
struct SchemesPage {
    l: Layout,
    council: String,
    schemes: Vec<Scheme>,
}

async fn schemes(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c = council(&s, &user, SCHEME_FIELDS).await?;
    render(&SchemesPage {
        l: Layout::new(&user.session, "Schemes", "/officer/schemes"),
        council: c.name,
        schemes: c.schemes,
    })
}

#[derive(Template)]
#[template(path = "officer/providers.html")]
struct ProvidersPage {
    l: Layout,
    council: String,
    providers: Vec<Provider>,
}

async fn providers(State(s): State<AppState>, user: OfficerUser) -> PageResult {
    let c = council(&s, &user, PROVIDER_FIELDS).await?;
    render(&ProvidersPage {
        l: Layout::new(&user.session, "Providers", "/officer/providers"),
        council: c.name,
        providers: c.providers,
    })
}

async fn decide(
    State(s): State<AppState>,
    user: OfficerUser,
    Path((id, decision)): Path<(String, String)>,
    CsrfForm(_): CsrfForm,
) -> PageResult {
    let c = council(&s, &user, PROVIDER_FIELDS).await?;
    let Some(p) = c.providers.iter().find(|p| p.id == id) else {
        return Err(PageError::NotFound);
    };
    let (mutation, done) = match decision.as_str() {
        "approve" => ("approveProvider", "approved"),
        "suspend" => ("suspendProvider", "suspended"),
        _ => return Err(PageError::NotFound),
    };
    let v: serde_json::Value = s
        .gateway
        .query(
            Some(&user.token),
            &format!("mutation($c: ID!, $p: ID!) {{ {mutation}(councilId: $c, providerId: $p) {{ provider {{ id }} userErrors {{ field code message }} }} }}"),
            json!({"c": c.id, "p": p.id}),
        )
        .await?;
    let errors: Vec<UserError> = serde_json::from_value(v[mutation]["userErrors"].clone()).unwrap_or_default();
    let message = match errors.first() {
        None => format!("{} is {done}.", p.name),
        Some(e) => e.message.clone(),
    };
    let data = user.session.data.with_flash(message);
    Ok(with_session(see_other("/officer/providers"), data))
}
