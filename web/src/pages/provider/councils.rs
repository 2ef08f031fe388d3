//! A provider's standing in each council, applying to more, and its bookings.

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{see_other, PageResult},
    form::{CsrfForm, Errors, FormData},
    gateway::UserError,
    pages::{
        render, render_refused,
        vocabulary::{self, filters},
        with_session,
    },
    session::ProviderUser,
    views::Layout,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/provider", get(page).post(apply))
        .route("/provider/bookings", get(bookings))
}

pub struct Standing {
    pub name: String,
    pub status: String,
}

#[derive(Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "provider/councils.html")]
struct CouncilsPage {
    l: Layout,
    organisation: String,
    payouts: bool,
    standings: Vec<Standing>,
    others: Vec<Named>,
    errors: Errors,
}

async fn load(s: &AppState, token: &str) -> Result<(String, bool, Vec<Standing>, Vec<Named>), crate::error::PageError> {
    #[derive(Deserialize)]
    struct Data {
        me: Me,
        councils: Vec<Named>,
    }
    #[derive(Deserialize)]
    struct Me {
        provider: P,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct P {
        name: String,
        payouts_enabled: bool,
        councils: Vec<Named>,
    }
    let d: Data = s
        .gateway
        .query(
            Some(token),
            "{ me { provider { name payoutsEnabled councils { id name } } } councils { id name } }",
            json!({}),
        )
        .await?;
    let p = d.me.provider;
    // One status per council the provider is in, asked for by alias.
    let mut standings = Vec::new();
    if !p.councils.is_empty() {
        let fields: Vec<String> = p
            .councils
            .iter()
            .enumerate()
            .map(|(i, _)| format!("c{i}: status(councilId: $c{i})"))
            .collect();
        let params: Vec<String> = (0..p.councils.len()).map(|i| format!("$c{i}: ID!")).collect();
        let mut vars = serde_json::Map::new();
        for (i, c) in p.councils.iter().enumerate() {
            vars.insert(format!("c{i}"), json!(c.id));
        }
        let v: serde_json::Value = s
            .gateway
            .query(
                Some(token),
                &format!(
                    "query({}) {{ me {{ provider {{ {} }} }} }}",
                    params.join(", "),
                    fields.join(" ")
                ),
                serde_json::Value::Object(vars),
            )
            .await?;
        for (i, c) in p.councils.iter().enumerate() {
            standings.push(Standing {
                name: c.name.clone(),
                status: v["me"]["provider"][format!("c{i}")]
                    .as_str()
                    .unwrap_or("PENDING")
                    .to_string(),
            });
        }
    }
    let others = d
        .councils
        .into_iter()
        .filter(|c| !p.councils.iter().any(|m| m.id == c.id))
        .collect();
    Ok((p.name, p.payouts_enabled, standings, others))
}

async fn page(State(s): State<AppState>, user: ProviderUser) -> PageResult {
    let (organisation, payouts, standings, others) = load(&s, &user.token).await?;
    render(&CouncilsPage {
        l: Layout::new(&user.session, "Councils", "/provider"),
        organisation,
        payouts,
        standings,
        others,
        errors: Errors::default(),
    })
}

async fn apply(State(s): State<AppState>, user: ProviderUser, CsrfForm(form): CsrfForm) -> PageResult {
    let mut errors = Errors::default();
    if form.get("council").is_empty() {
        errors.add("council", "Select a council to apply to");
    } else {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            apply_to_council: Payload,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Payload {
            user_errors: Vec<UserError>,
        }
        let d: Data = s
            .gateway
            .query(
                Some(&user.token),
                "mutation($c: ID!) { applyToCouncil(councilId: $c) { provider { id } userErrors { field code message } } }",
                json!({"c": form.get("council")}),
            )
            .await?;
        if d.apply_to_council.user_errors.is_empty() {
            let data = user
                .session
                .data
                .with_flash("You have applied. The council's officers will approve or refuse your application.");
            return Ok(with_session(see_other("/provider"), data));
        }
        errors = Errors::from_user_errors(&d.apply_to_council.user_errors, "council", |_| Some("council"));
    }
    let (organisation, payouts, standings, others) = load(&s, &user.token).await?;
    render_refused(&CouncilsPage {
        l: Layout::new(&user.session, "Councils", "/provider").with_errors(&errors),
        organisation,
        payouts,
        standings,
        others,
        errors,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderBooking {
    pub status: String,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
    pub lease_months: Option<i64>,
    pub vehicle: BookedVehicle,
    pub price: Price,
}

#[derive(Deserialize)]
pub struct BookedVehicle {
    pub make: String,
    pub model: String,
    pub registration: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Price {
    pub base_pence: i64,
}

#[derive(Template)]
#[template(path = "provider/bookings.html")]
struct BookingsPage {
    l: Layout,
    bookings: Vec<ProviderBooking>,
    next: Option<String>,
}

async fn bookings(
    State(s): State<AppState>,
    user: ProviderUser,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
) -> PageResult {
    let q = FormData(q);
    let after = Some(q.get("after")).filter(|a| !a.is_empty());
    let v: serde_json::Value = s
        .gateway
        .query(
            Some(&user.token),
            "query($after: String) { me { provider { bookings(first: 20, after: $after) { nodes { status start end leaseMonths vehicle { make model registration } price { basePence } } pageInfo { hasNextPage endCursor } } } } }",
            json!({"after": after}),
        )
        .await?;
    let conn = &v["me"]["provider"]["bookings"];
    let bookings: Vec<ProviderBooking> =
        serde_json::from_value(conn["nodes"].clone()).map_err(|e| anyhow::anyhow!("provider bookings: {e}"))?;
    let next = conn["pageInfo"]["endCursor"]
        .as_str()
        .filter(|_| conn["pageInfo"]["hasNextPage"] == true)
        .map(|c| format!("/provider/bookings?after={}", vocabulary::urlencode(c)));
    render(&BookingsPage {
        l: Layout::new(&user.session, "Bookings", "/provider/bookings"),
        bookings,
        next,
    })
}
