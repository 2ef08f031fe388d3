//! The signed-out checker: which councils cover a postcode, and what a
//! household with given facts could get from a council's schemes — both
//! public, both without storing or logging anything about the person.

use std::collections::BTreeSet;

use axum::{
    extract::{Path, State},
    routing::post,
    Json, Router,
};
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    db::{self, councils, schemes, zones},
    domain::{
        geometry::Area,
        profile::{parse_profile, ProfileIn},
    },
    http::{
        decisions::{decide_facts, zone_names, DecisionOut},
        postcodes::candidates,
    },
    AppState,
};
use roundabout_api::{
    eligibility::{CheckIn, PostcodeIn},
    routes,
};

/// Most councils answered for one postcode.
pub const MAX_COUNCILS: usize = 20;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::POSTCODE_COUNCILS, post(councils_for_postcode))
        .route(routes::eligibility::COUNCIL_ELIGIBILITY_CHECK, post(check))
}

/// Councils whose postcode lookup has the postcode itself, else those
/// with its district; at most [`MAX_COUNCILS`].
pub use roundabout_api::eligibility::PostcodeCouncilsData as CouncilsOut;

/// `POST /internal/postcodes/councils` `{postcode}` (anyone): the councils
/// whose lookup has the full postcode, or, when none has it, its district.
/// The postcode travels in the body so that request logs never hold it.
async fn councils_for_postcode(
    State(s): State<AppState>,
    _caller: Caller,
    ValidJson(body): ValidJson<PostcodeIn>,
) -> ApiResult<Json<CouncilsOut>> {
    let candidates = candidates(&body.postcode)?;
    let rows = db::postcodes::councils_having(&s.pool, &candidates).await?;
    // Rows come most specific first: keep only the best kind of match.
    let best = rows.first().map(|(_, p)| p.len()).unwrap_or_default();
    let ids: BTreeSet<Uuid> = rows
        .into_iter()
        .filter(|(_, p)| p.len() == best)
        .map(|(id, _)| id)
        .take(MAX_COUNCILS)
        .collect();
    Ok(Json(CouncilsOut {
        council_ids: ids.into_iter().collect(),
    }))
}

/// `POST /internal/councils/{id}/eligibility/check` (anyone): every ACTIVE
/// scheme of the council in effect now, decided for the facts given, with
/// every reason. Checked like a profile; the postcode, when the council's
/// lookup has it, places the home in the council's zones. Nothing is
/// stored: this is not a household's decision.
async fn check(
    State(s): State<AppState>,
    _caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<CheckIn>,
) -> ApiResult<Json<Vec<DecisionOut>>> {
    councils::get(&s.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such council"))?;
    let location = match body.postcode.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => db::postcodes::locate(&s.pool, id, &candidates(raw)?)
            .await?
            .map(|(_, lat, lon)| (lat, lon)),
        None => None,
    };
    let profile = parse_profile(ProfileIn {
        lat: location.map(|l| l.0).unwrap_or_default(),
        lon: location.map(|l| l.1).unwrap_or_default(),
        postcode: None,
        members: body.members,
        annual_income_pence: body.annual_income_pence,
        income_band: body.income_band,
        cars_owned: body.cars_owned,
        blue_badge: body.blue_badge,
        benefits: body.benefits,
        lead_age: body.lead_age,
        needs: body.needs,
    })?;
    let facts = profile.facts();
    let home_zones = match location {
        Some((lat, lon)) => {
            let mut inside = Vec::new();
            for z in zones::of_council(&s.pool, id).await? {
                if Area::stored(&z.geometry)?.contains(lon, lat) {
                    inside.push(z.id);
                }
            }
            Some(inside)
        }
        None => None,
    };
    let names = zone_names(&s, id).await?;
    let mut out = Vec::new();
    for scheme in schemes::in_effect(&s.pool, id).await? {
        let (eligible, reasons) = decide_facts(&s.engine, &scheme, &facts, home_zones.as_deref(), &names)?;
        out.push(DecisionOut {
            scheme: crate::http::schemes::scheme_out(scheme, Vec::new()),
            eligible,
            reasons,
        });
    }
    Ok(Json(out))
}
