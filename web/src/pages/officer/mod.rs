//! Council officers: their council with its schemes and budgets, and the
//! providers that applied, to approve or suspend; its zones on a map
//! ([`zones`]), writing and publishing schemes ([`schemes`], with the
//! criteria builder in [`criteria`]) and its postcode lookup
//! ([`postcodes`]).

mod contact;
mod criteria;
mod map;
mod postcodes;
mod schemes;
mod zones;

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
    pages::{render, vocabulary::filters, with_session},
    session::{OfficerUser, SignedIn},
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/officer", get(overview))
        .route("/officer/schemes", get(scheme_list))
        .route("/officer/providers", get(providers))
        .route("/officer/providers/{id}/{decision}", post(decide))
        .merge(zones::router())
        .merge(schemes::router())
        .merge(postcodes::router())
        .merge(contact::router())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Scheme {
    #[serde(default)]
    pub id: String,
    pub name: String,
    pub status: String,
    pub version: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    pub budget_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    pub committed_pence: i64,
    #[serde(deserialize_with = "crate::views::amount")]
    pub remaining_pence: i64,
}

#[derive(Deserialize)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub status: String,
}

/// A zone of the council.
#[derive(Deserialize, Clone)]
pub struct Zone {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub geometry: serde_json::Value,
}

#[derive(Deserialize)]
pub(crate) struct Council {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub boundary: serde_json::Value,
    #[serde(default)]
    pub zones: Vec<Zone>,
    #[serde(default)]
    schemes: Vec<Scheme>,
    #[serde(default)]
    providers: Vec<Provider>,
}

/// The officer's council with `fields` (GraphQL selection); not an officer
/// of a council: forbidden.
pub(crate) async fn council(s: &AppState, user: &SignedIn, fields: &str) -> Result<Council, PageError> {
    officer_council(s, user, &format!("id name {fields}")).await
}

/// The signed-in officer's council read as `T`, with `fields` (what goes
/// inside `council { … }`); someone who is not an officer of a council:
/// forbidden.
pub(crate) async fn officer_council<T: serde::de::DeserializeOwned>(
    s: &AppState,
    user: &SignedIn,
    fields: &str,
) -> Result<T, PageError> {
    #[derive(Deserialize)]
    struct Data<T> {
        me: Me<T>,
    }
    #[derive(Deserialize)]
    struct Me<T> {
        council: Option<T>,
    }
    let d: Data<T> = s
        .gateway
        .query(
            Some(&user.token),
            &format!("{{ me {{ council {{ {fields} }} }} }}"),
            json!({}),
        )
        .await?;
    d.me.council.ok_or(PageError::Forbidden)
}

const SCHEME_FIELDS: &str = "schemes { id name status version budgetPence: budgetAmount committedPence: committedAmount remainingPence: remainingAmount }";
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

async fn scheme_list(State(s): State<AppState>, user: OfficerUser) -> PageResult {
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
