//! What-if: one scheme (any status) evaluated over every household of its
//! council that has a profile, without storing decisions.
//!
//! Built for 100,000 households in well under a second: only the fact
//! columns are read, each household's facts are put into the evaluation
//! arena once (not once per criterion), and the work is split over the
//! machine's cores.

use axum::{
    extract::{Path, State},
    routing::post,
    Json, Router,
};
use datalogic_rs::{bumpalo::Bump, DataValue, Engine};
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    db::{
        profiles::{self, FactsRow},
        schemes::SchemeRow,
    },
    domain::{evaluate::Compiled, scheme::subsidy_amount},
    http::{decisions::ZONE_CRITERION, lifecycle::compiled, schemes::for_officer},
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/internal/schemes/{id}/simulate", post(simulate))
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

/// `POST /internal/schemes/{id}/simulate`: officers of the scheme's council.
async fn simulate(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<SimulationOut>> {
    let scheme = for_officer(&s.pool, &caller, id).await?;
    let started = std::time::Instant::now();
    let households = profiles::facts_of_council(&s.pool, scheme.council_id).await?;
    let loaded = started.elapsed();
    let engine = s.engine.clone();
    let out = tokio::task::spawn_blocking(move || simulate_over(&engine, &scheme, &households))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("simulation task failed: {e}")))??;
    tracing::info!(scheme = %id, households = out.households_evaluated, load_ms = loaded.as_millis() as u64,
        total_ms = started.elapsed().as_millis() as u64, "scheme simulated");
    Ok(Json(out))
}

/// Counts of one slice of households.
#[derive(Default)]
struct Tally {
    eligible: i64,
    failures: Vec<i64>,
    zone_failures: i64,
}

fn tally(engine: &Engine, criteria: &[Compiled], zone_ids: &[Uuid], households: &[FactsRow]) -> Tally {
    let mut t = Tally {
        failures: vec![0; criteria.len()],
        ..Tally::default()
    };
    let mut arena = Bump::with_capacity(16 * 1024);
    for h in households {
        arena.reset();
        let facts = h.facts();
        let json = facts.to_json();
        let data: &DataValue = arena.alloc(DataValue::from_serde_value_in(&json, &arena));
        let mut ok = true;
        for (i, c) in criteria.iter().enumerate() {
            if c.unknown_fact(&facts).is_some() || !c.passes(engine, data, &arena) {
                t.failures[i] += 1;
                ok = false;
            }
        }
        if !zone_ids.is_empty() && !h.zone_ids.iter().any(|z| zone_ids.contains(z)) {
            t.zone_failures += 1;
            ok = false;
        }
        t.eligible += i64::from(ok);
    }
    t
}

/// The simulation itself (CPU only), over the available cores.
pub fn simulate_over(engine: &Engine, scheme: &SchemeRow, households: &[FactsRow]) -> ApiResult<SimulationOut> {
    let criteria = compiled(engine, scheme)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let chunk = households.len().div_ceil(threads).max(1);
    let zone_ids = &scheme.zone_ids;
    let tallies: Result<Vec<Tally>, _> = std::thread::scope(|scope| {
        let handles: Vec<_> = households
            .chunks(chunk)
            .map(|part| {
                let criteria = &criteria;
                scope.spawn(move || tally(engine, criteria, zone_ids, part))
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let tallies = tallies.map_err(|_| ApiError::internal(anyhow::anyhow!("a simulation thread panicked")))?;
    let mut total = Tally {
        failures: vec![0; criteria.len()],
        ..Tally::default()
    };
    for t in tallies {
        total.eligible += t.eligible;
        total.zone_failures += t.zone_failures;
        for (a, b) in total.failures.iter_mut().zip(t.failures) {
            *a += b;
        }
    }
    let (base, months) = if scheme.applies_to.iter().any(|k| k == "LEASE") {
        (TYPICAL_LEASE_MONTH_PENCE, Some(1))
    } else {
        (TYPICAL_HIRE_PENCE, None)
    };
    let per_household = subsidy_amount(
        base,
        scheme.percent_basis_points,
        scheme.cap_per_booking_pence,
        months,
        i64::MAX,
    );
    let estimate = per_household
        .saturating_mul(total.eligible)
        .min(scheme.remaining_pence());
    let mut failures_by_criterion: Vec<CriterionCountOut> = criteria
        .iter()
        .zip(total.failures)
        .map(|(c, count)| CriterionCountOut {
            criterion_id: c.criterion.id.clone(),
            count,
        })
        .collect();
    if !zone_ids.is_empty() {
        failures_by_criterion.push(CriterionCountOut {
            criterion_id: ZONE_CRITERION.into(),
            count: total.zone_failures,
        });
    }
    Ok(SimulationOut {
        households_evaluated: households.len() as i64,
        eligible_households: total.eligible,
        estimated_subsidy_pence: estimate,
        failures_by_criterion,
    })
}
