//! Decisions: a household against every scheme in effect, with reasons;
//! and what-if simulations of one scheme over a council's households.

use std::collections::HashMap;

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use datalogic_rs::{bumpalo::Bump, Engine};
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    db::{
        profiles::{self, ProfileRow},
        schemes::{self, SchemeRow},
        zones,
    },
    domain::{
        evaluate::{CriterionResult, Outcome},
        facts::Facts,
        scheme::subsidy_amount,
    },
    http::{
        lifecycle::compiled,
        profiles::visible_household,
        schemes::{for_officer, SchemeOut},
    },
    AppState,
};

/// The pseudo-criterion for a scheme's zone restriction.
pub const ZONE_CRITERION: &str = "zone";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/internal/households/{id}/eligibility", get(eligibility))
        .route("/internal/schemes/{id}/simulate", post(simulate))
}

/// One scheme's decision for a household.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionOut {
    pub scheme: SchemeOut,
    pub eligible: bool,
    pub reasons: Vec<CriterionResult>,
}

/// Evaluates every criterion of `scheme` (and its zones) for a household.
/// `profile` None: nothing is known yet, so nothing is met.
pub fn decide(
    engine: &Engine,
    scheme: &SchemeRow,
    profile: Option<&ProfileRow>,
    zone_names: &HashMap<Uuid, String>,
) -> ApiResult<(bool, Vec<CriterionResult>)> {
    let criteria = compiled(engine, scheme)?;
    let facts = profile.map(ProfileRow::facts).unwrap_or_else(Facts::default);
    let data = facts.to_json();
    let mut arena = Bump::new();
    let mut reasons: Vec<CriterionResult> =
        criteria.iter().map(|c| c.explain(engine, &facts, &data, &mut arena)).collect();
    if !scheme.zone_ids.is_empty() {
        let names: Vec<&str> = scheme
            .zone_ids
            .iter()
            .filter_map(|z| zone_names.get(z).map(String::as_str))
            .collect();
        let names = names.join(", ");
        let inside = profile.is_some_and(|p| p.zone_ids.iter().any(|z| scheme.zone_ids.contains(z)));
        let explanation = match (profile, inside) {
            (None, _) => format!("Not met yet: this scheme is for households in {names}; add your location to your profile."),
            (Some(_), true) => format!("Met: your home is in {names}."),
            (Some(_), false) => format!("This scheme is for households in {names}; your home is not in that area."),
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
    let mut out = Vec::new();
    for scheme in schemes::in_effect(&mut *tx, household.council_id).await? {
        let (eligible, reasons) = decide(&s.engine, &scheme, profile.as_ref(), &names)?;
        let stored = serde_json::to_value(&reasons).map_err(anyhow::Error::from)?;
        schemes::record_decision(&mut *tx, id, &scheme, eligible, &stored, facts.as_ref(), "view").await?;
        out.push(DecisionOut {
            scheme: SchemeOut::new(scheme, Vec::new()),
            eligible,
            reasons,
        });
    }
    tx.commit().await?;
    Ok(Json(out))
}

/// A simulation's answer.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationOut {
    pub households_evaluated: i64,
    pub eligible_households: i64,
    pub estimated_subsidy_pence: i64,
    /// Households failing each criterion (a household may fail several).
    pub failures_by_criterion: Vec<CriterionCountOut>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CriterionCountOut {
    pub criterion_id: String,
    pub count: i64,
}

/// A typical hire booking's base price for estimates: four hours at £10.
pub const TYPICAL_HIRE_PENCE: i64 = 4_000;
/// A typical lease's base price for estimates: one month at £350.
pub const TYPICAL_LEASE_MONTH_PENCE: i64 = 35_000;

/// `POST /internal/schemes/{id}/simulate`: evaluates a scheme (any status)
/// over every household of its council that has a profile.
async fn simulate(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<SimulationOut>> {
    let scheme = for_officer(&s.pool, &caller, id).await?;
    let started = std::time::Instant::now();
    let households = profiles::of_council(&s.pool, scheme.council_id).await?;
    let loaded = started.elapsed();
    let engine = s.engine.clone();
    let out = tokio::task::spawn_blocking(move || simulate_over(&engine, &scheme, &households))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("simulation task failed: {e}")))??;
    tracing::info!(scheme = %id, households = out.households_evaluated, load_ms = loaded.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64, "scheme simulated");
    Ok(Json(out))
}

/// The simulation itself (CPU only).
pub fn simulate_over(engine: &Engine, scheme: &SchemeRow, households: &[ProfileRow]) -> ApiResult<SimulationOut> {
    let criteria = compiled(engine, scheme)?;
    let mut failures = vec![0i64; criteria.len()];
    let mut zone_failures = 0i64;
    let mut eligible = 0i64;
    let mut arena = Bump::new();
    for h in households {
        let facts = h.facts();
        let data = facts.to_json();
        let mut ok = true;
        for (i, c) in criteria.iter().enumerate() {
            if !matches!(c.outcome(engine, &facts, &data, &mut arena), Outcome::Passed) {
                failures[i] += 1;
                ok = false;
            }
        }
        if !scheme.zone_ids.is_empty() && !h.zone_ids.iter().any(|z| scheme.zone_ids.contains(z)) {
            zone_failures += 1;
            ok = false;
        }
        if ok {
            eligible += 1;
        }
    }
    let (base, months) = if scheme.applies_to.iter().any(|k| k == "LEASE") {
        (TYPICAL_LEASE_MONTH_PENCE, Some(1))
    } else {
        (TYPICAL_HIRE_PENCE, None)
    };
    let per_household = subsidy_amount(base, scheme.percent_basis_points, scheme.cap_per_booking_pence, months, i64::MAX);
    let estimate = per_household.saturating_mul(eligible).min(scheme.remaining_pence());
    let mut failures_by_criterion: Vec<CriterionCountOut> = criteria
        .iter()
        .zip(failures)
        .map(|(c, count)| CriterionCountOut {
            criterion_id: c.criterion.id.clone(),
            count,
        })
        .collect();
    if !scheme.zone_ids.is_empty() {
        failures_by_criterion.push(CriterionCountOut {
            criterion_id: ZONE_CRITERION.into(),
            count: zone_failures,
        });
    }
    Ok(SimulationOut {
        households_evaluated: households.len() as i64,
        eligible_households: eligible,
        estimated_subsidy_pence: estimate,
        failures_by_criterion,
    })
}
