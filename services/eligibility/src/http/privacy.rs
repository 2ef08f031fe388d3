//! A household's data rights in eligibility: its export (the household, its
//! answers, every decision and every read of its answers by someone else)
//! and its erasure (the gateway's erasure step; see `graphql/src/erasure/`).

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use roundabout_api::{
    eligibility::{HouseholdData, ProfileData},
    privacy::{ErasureStepData, ExportData, ExportSection},
    routes,
};
use roundabout_support::{internal_auth::Caller, ApiResult};
use uuid::Uuid;

use crate::{
    db::{households, privacy, profiles},
    http::profiles::visible_household,
    AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::HOUSEHOLD_EXPORT, get(export))
        .route(routes::eligibility::HOUSEHOLD_ERASURE, post(erase))
}

/// `GET /internal/households/{id}/export`: the household itself (or an
/// officer acting for it) and officers of its council. Reading it is not a
/// profile read: the export is the household's own copy.
async fn export(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ExportData>> {
    let household = visible_household(&s, &caller, id).await?;
    let mut tx = s.pool.begin().await?;
    let profile = profiles::get(&mut *tx, id).await?.map(ProfileData::from);
    let decisions = privacy::decisions(&mut *tx, id).await?;
    let reads = privacy::profile_reads(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(Json(ExportData {
        sections: vec![
            ExportSection::new(
                "household",
                "Your household's registration",
                "Which council's schemes you are registered with.",
                [HouseholdData::from(household)],
            ),
            ExportSection::new(
                "profile",
                "Your answers about your household",
                "To decide which of the council's schemes you can get and to find vehicles near you.",
                profile,
            ),
            ExportSection::new(
                "eligibility_decisions",
                "Decisions about what you can get",
                "A record of each decision, with the answers it was made on, so it can be explained or checked.",
                decisions,
            ),
            ExportSection::new(
                "profile_reads",
                "Who else has looked at your answers",
                "Council officers and services that read your answers, so their access can be checked.",
                reads,
            ),
        ],
    }))
}

/// `POST /internal/households/{id}/erasure`: removes the household's
/// answers, decisions and the record of reads of them. Only the gateway's
/// erasure process calls it; idempotent.
async fn erase(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ErasureStepData>> {
    caller.require_service("gateway")?;
    if households::get(&s.pool, id).await?.is_none() {
        // Never registered (or a wrong id): nothing is held.
        return Ok(Json(ErasureStepData::done(0)));
    }
    let mut tx = s.pool.begin().await?;
    let changed = privacy::erase(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(ErasureStepData::done(changed)))
}
