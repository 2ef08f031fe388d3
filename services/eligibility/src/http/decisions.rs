//! Decisions: a household against every scheme in effect, with reasons.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use datalogic_rs::{bumpalo::Bump, Engine};
use roundabout_support::{internal_auth::Caller, ApiResult};
use uuid::Uuid;

use crate::{
    db::{
        profiles::{self, ProfileRow},
        schemes::{self, SchemeRow},
        zones,
    },
    domain::{evaluate::CriterionResult, facts::Facts, wording},
    http::{
        lifecycle::compiled,
        profiles::{audit_read, visible_household},
    },
    AppState,
};
use roundabout_api::routes;

/// The pseudo-criterion for a scheme's zone restriction.
pub const ZONE_CRITERION: &str = "zone";

pub fn router() -> Router<AppState> {
    Router::new().route(routes::eligibility::HOUSEHOLD_ELIGIBILITY, get(eligibility))
}

/// One scheme's decision for a household.
pub use roundabout_api::eligibility::DecisionData as DecisionOut;

/// Evaluates every criterion of `scheme` (and its zones) for a household.
/// `profile` None: nothing is known yet, so nothing is met.
pub fn decide(
    engine: &Engine,
    scheme: &SchemeRow,
    profile: Option<&ProfileRow>,
    zone_names: &HashMap<Uuid, String>,
) -> ApiResult<(bool, Vec<CriterionResult>)> {
    let facts = profile.map(ProfileRow::facts).unwrap_or_default();
    decide_facts(
        engine,
        scheme,
        &facts,
        profile.map(|p| p.zone_ids.as_slice()),
        zone_names,
    )
}

/// Evaluates every criterion of `scheme` for `facts`; `zones` are the
/// council's zones containing the home (None: where it is is not known).
pub fn decide_facts(
    engine: &Engine,
    scheme: &SchemeRow,
    facts: &Facts,
    zones: Option<&[Uuid]>,
    zone_names: &HashMap<Uuid, String>,
) -> ApiResult<(bool, Vec<CriterionResult>)> {
    let criteria = compiled(engine, scheme)?;
    let data = facts.to_json();
    let mut arena = Bump::new();
    let mut reasons: Vec<CriterionResult> = criteria
        .iter()
        .map(|c| c.explain(engine, facts, &data, &mut arena))
        .collect();
    if !scheme.zone_ids.is_empty() {
        let names: Vec<String> = scheme
            .zone_ids
            .iter()
            .filter_map(|z| zone_names.get(z).cloned())
            .collect();
        let names = wording::or_list(&names);
        let inside = zones.is_some_and(|zs| zs.iter().any(|z| scheme.zone_ids.contains(z)));
        let explanation = match (zones, inside) {
            (None, _) => format!("This scheme is for households in {names}. We need your postcode to check this."),
            (Some(_), true) => format!("Your home is in {names}."),
            (Some(_), false) => format!("This scheme is for households in {names}. Your home is not in that area."),
        };
        reasons.push(CriterionResult {
            criterion_id: ZONE_CRITERION.into(),
            label: format!("Lives in {names}"),
            passed: inside,
            explanation,
        });
    }
    Ok((reasons.iter().all(|r| r.passed), reasons))
}

/// Zone names of a council by id.
pub async fn zone_names(s: &AppState, council_id: Uuid) -> ApiResult<HashMap<Uuid, String>> {
    Ok(zones::of_council(&s.pool, council_id)
        .await?
        .into_iter()
        .map(|z| (z.id, z.name))
        .collect())
}

/// `GET /internal/households/{id}/eligibility`: every ACTIVE scheme of the
/// household's council in effect now, eligible or not, each criterion with
/// its explanation. Each decision is stored with the scheme version.
async fn eligibility(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<DecisionOut>>> {
    let household = visible_household(&s, &caller, id).await?;
    let profile = profiles::get(&s.pool, id).await?;
    let names = zone_names(&s, household.council_id).await?;
    let facts = profile.as_ref().map(|p| p.facts().to_json());
    let mut tx = s.pool.begin().await?;
    // Decisions reveal the facts behind them: an officer's look is audited too.
    audit_read(&mut tx, &caller, id).await?;
    let mut out = Vec::new();
    for scheme in schemes::in_effect(&mut *tx, household.council_id).await? {
        let (eligible, reasons) = decide(&s.engine, &scheme, profile.as_ref(), &names)?;
        let stored = serde_json::to_value(&reasons).map_err(anyhow::Error::from)?;
        schemes::record_decision(&mut *tx, id, &scheme, eligible, &stored, facts.as_ref(), "view").await?;
        out.push(DecisionOut {
            scheme: crate::http::schemes::scheme_out(scheme, Vec::new()),
            eligible,
            reasons,
        });
    }
    tx.commit().await?;
    Ok(Json(out))
}
