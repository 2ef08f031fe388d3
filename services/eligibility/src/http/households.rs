//! Households: registered in their council by the gateway at sign-up.

use axum::{
    extract::{Path, State},
    routing::put,
    Json, Router,
};
use roundabout_api::ErrorCode;
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    db::{councils, households},
    AppState,
};
use roundabout_api::{
    eligibility::{HouseholdData, HouseholdIn},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::eligibility::HOUSEHOLD, put(register).get(read))
}

/// `PUT /internal/households/{id}`: registers a household in a council
/// (idempotent by id). 404 when the council does not exist.
async fn register(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<HouseholdIn>,
) -> ApiResult<Json<HouseholdData>> {
    if !caller.is_service() {
        return Err(ApiError::forbidden("Households are registered at sign-up"));
    }
    if councils::get(&s.pool, body.council_id).await?.is_none() {
        return Err(ApiError::not_found("No such council").with_field(["councilId"]));
    }
    let row = households::insert_if_absent(&s.pool, id, body.council_id).await?;
    if row.council_id != body.council_id {
        return Err(ApiError::conflict(
            ErrorCode::IdempotencyConflict,
            "This household is registered in another council",
        ));
    }
    Ok(Json(row.into()))
}

/// `GET /internal/households/{id}`: the household itself, officers of its
/// council, or a service.
async fn read(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<HouseholdData>> {
    let row = households::get(&s.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such household"))?;
    let own = caller.household.map(|h| h.household_id) == Some(id);
    if !own && !caller.can_administer(row.council_id) {
        return Err(ApiError::not_found("No such household"));
    }
    Ok(Json(row.into()))
}
