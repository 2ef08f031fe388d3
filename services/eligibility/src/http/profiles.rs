//! Household profiles: written by the household, read by the household and
//! (recorded in the audit log) by officers of its council.

use axum::{
    extract::{Path, State},
    routing::put,
    Json, Router,
};
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    db::{
        councils,
        households::{self, HouseholdRow},
        profiles, zones,
    },
    domain::{
        geometry::Area,
        profile::{parse_profile, ProfileIn},
    },
    AppState,
};
use roundabout_api::{eligibility::ProfileData, routes};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::eligibility::HOUSEHOLD_PROFILE, put(update).get(read))
}

/// The household, if the caller may see it at all (itself, an officer of its
/// council, an admin or a service); otherwise 404, never a hint it exists.
pub async fn visible_household(s: &AppState, caller: &Caller, id: Uuid) -> ApiResult<HouseholdRow> {
    let row = households::get(&s.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such household"))?;
    let own = caller.household.map(|h| h.household_id) == Some(id);
    if !own && !caller.can_administer(row.council_id) {
        return Err(ApiError::not_found("No such household"));
    }
    Ok(row)
}

/// Records a read of the household's facts by anyone but the household
/// itself (an officer acting for the household is recorded too).
pub async fn audit_read(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, caller: &Caller, id: Uuid) -> ApiResult<()> {
    if caller.is_household_itself(id) {
        return Ok(());
    }
    let kind = if caller.assisted_by.is_some() {
        "assisted"
    } else if caller.is_service() {
        "service"
    } else if caller.admin {
        "admin"
    } else {
        "officer"
    };
    let name = caller.name.as_deref().or(caller.service.as_deref());
    profiles::record_read(&mut **tx, id, kind, caller.user_id, name).await?;
    Ok(())
}

/// `PUT /internal/households/{id}/profile`: the household itself stores its
/// facts; its zones are worked out from its location.
async fn update(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<ProfileIn>,
) -> ApiResult<Json<ProfileData>> {
    if caller.household.map(|h| h.household_id) != Some(id) {
        return Err(ApiError::forbidden("Only the household itself may change its profile"));
    }
    let household = households::get(&s.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such household"))?;
    let profile = parse_profile(body)?;
    let mut tx = s.pool.begin().await?;
    // Zone creation locks the council row for update; sharing it here means a
    // zone drawn at the same moment is either seen here or sees this profile.
    councils::lock_for_profiles(&mut *tx, household.council_id).await?;
    let mut zone_ids = Vec::new();
    for z in zones::of_council(&mut *tx, household.council_id).await? {
        let area = Area::stored(&z.geometry)?;
        if area.contains(profile.lon, profile.lat) {
            zone_ids.push(z.id);
        }
    }
    let row = profiles::upsert(&mut tx, id, household.council_id, &profile, &zone_ids).await?;
    tx.commit().await?;
    Ok(Json(row.into()))
}

/// `GET /internal/households/{id}/profile`: the profile, or null before the
/// household has filled it in. A read by anyone but the household itself is
/// written to `profile_reads`.
async fn read(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<Option<ProfileData>>> {
    visible_household(&s, &caller, id).await?;
    let mut tx = s.pool.begin().await?;
    let row = profiles::get(&mut *tx, id).await?;
    audit_read(&mut tx, &caller, id).await?;
    tx.commit().await?;
    Ok(Json(row.map(Into::into)))
}
