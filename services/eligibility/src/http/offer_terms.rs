//! `GET /internal/households/{id}/offer-terms?kind=HIRE|LEASE`: what
//! bookings needs to broker offers for a household in one call — where it
//! lives, what it needs, and the terms of every scheme in effect that it is
//! eligible for. Bookings prices each candidate with
//! `roundabout_support::subsidy::best`, the same arithmetic as the quote.
//!
//! Unlike `/eligibility` and `/subsidy/quote`, nothing is written: an offer
//! is a search result, not a decision the household acted on. The booking
//! itself takes an authoritative quote (stored) before any money moves.

use axum::{
    extract::{Path, Query, State},
    routing::get,
    Json, Router,
};
use datalogic_rs::{bumpalo::Bump, DataValue, Engine};
use roundabout_api::states::BookingKind;
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    db::{
        profiles::{self, ProfileRow},
        schemes::{self, SchemeRow},
    },
    http::{lifecycle::compiled, profiles::visible_household},
    AppState,
};
use roundabout_api::{
    eligibility::{OfferTermsData, OfferTermsQuery, WhereaboutsData},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::eligibility::HOUSEHOLD_OFFER_TERMS, get(offer_terms))
}

/// For the household itself or a service (bookings asks as itself: only the
/// gateway may sign for a household). Officers read profiles through
/// `/profile`, which records the read.
async fn offer_terms(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<OfferTermsQuery>,
) -> ApiResult<Json<OfferTermsData>> {
    let kind: BookingKind = q
        .kind
        .parse()
        .map_err(|_| ApiError::invalid("kind", "The kind is HIRE or LEASE"))?;
    let council_id = match caller.household.filter(|h| h.household_id == id) {
        // The membership is signed by the gateway: no need to look it up.
        Some(own) => own.council_id,
        None if caller.is_service() => visible_household(&s, &caller, id).await?.council_id,
        None => return Err(ApiError::not_found("No such household")),
    };
    let (profile, in_effect) = tokio::try_join!(profiles::get(&s.pool, id), schemes::in_effect(&s.pool, council_id))?;
    let mut eligible = Vec::new();
    for scheme in in_effect.iter().filter(|sc| sc.applies_to.contains(&kind)) {
        if is_eligible(&s.engine, scheme, profile.as_ref())? {
            eligible.push(scheme.terms());
        }
    }
    Ok(Json(OfferTermsData {
        profile: profile.map(|p| WhereaboutsData {
            lat: p.lat,
            lon: p.lon,
            needs_seats: p.needs_seats,
            needs_wheelchair_accessible: p.needs_wheelchair_accessible,
            needs_electric_preferred: p.needs_electric_preferred,
        }),
        schemes: eligible,
    }))
}

/// The same answer as `decisions::decide`, without writing the reasons:
/// inside one of the scheme's zones (when it has any) and every criterion
/// met, a fact the household has not given meeting none.
pub fn is_eligible(engine: &Engine, scheme: &SchemeRow, profile: Option<&ProfileRow>) -> ApiResult<bool> {
    if !scheme.zone_ids.is_empty() && !profile.is_some_and(|p| p.zone_ids.iter().any(|z| scheme.zone_ids.contains(z))) {
        return Ok(false);
    }
    let criteria = compiled(engine, scheme)?;
    let facts = profile.map(ProfileRow::facts).unwrap_or_default();
    let json = facts.to_json();
    let arena = Bump::new();
    let data: &DataValue = arena.alloc(DataValue::from_serde_value_in(&json, &arena));
    Ok(criteria
        .iter()
        .all(|c| c.unknown_fact(&facts).is_none() && c.passes(engine, data, &arena)))
}
