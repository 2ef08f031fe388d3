//! Households: their overview, profile, what they can get, finding and
//! booking a vehicle, and their bookings.

pub(crate) mod bookings;
mod card;
mod contact;
mod data;
mod money_words;
mod offer;
pub(crate) mod offers;
pub(crate) mod profile;
pub(crate) mod questions;
pub(crate) mod results;
pub(crate) mod schemes;
mod search;

use askama::Template;
use axum::{extract::State, routing::get, Router};
use serde::Deserialize;
use serde_json::json;

use super::render;
use crate::{error::PageResult, session::HouseholdUser, views::Layout, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/household", get(overview))
        .merge(schemes::router())
        .merge(acting_routes(""))
}

/// The pages that act for a household, under `prefix`: the household's own
/// (`""`), or an officer's for one household of the council
/// (`/officer/households/{household}`, see [`super::assist`]).
pub fn acting_routes(prefix: &str) -> Router<AppState> {
    Router::new()
        .merge(profile::router(prefix))
        .merge(offers::router(prefix))
        .merge(bookings::router(prefix))
        .merge(data::router(prefix))
        .merge(contact::router(prefix))
}

#[derive(Template)]
#[template(path = "household/overview.html")]
struct Overview {
    l: Layout,
    council: String,
    has_profile: bool,
    eligible: usize,
    bookings: i64,
}

async fn overview(State(s): State<AppState>, user: HouseholdUser) -> PageResult {
    #[derive(Deserialize)]
    struct Data {
        me: Me,
    }
    #[derive(Deserialize)]
    struct Me {
        household: Household,
    }
    #[derive(Deserialize)]
    struct Household {
        council: Named,
        profile: Option<serde_json::Value>,
        eligibility: Vec<Decision>,
        bookings: Count,
    }
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    #[derive(Deserialize)]
    struct Decision {
        eligible: bool,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Count {
        total_count: i64,
    }
    let d: Data = s
        .gateway
        .query(
            Some(&user.token),
            "{ me { household { council { name } profile { members } eligibility { eligible } bookings(first: 0) { totalCount } } } }",
            json!({}),
        )
        .await?;
    let h = d.me.household;
    render(&Overview {
        l: Layout::new(&user.session, "Your household", "/household"),
        council: h.council.name,
        has_profile: h.profile.is_some(),
        eligible: h.eligibility.iter().filter(|e| e.eligible).count(),
        bookings: h.bookings.total_count,
    })
}
