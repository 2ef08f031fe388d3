//! Vehicles: providers add, edit and retire their own; anyone reads them,
//! one by one, in batches (DataLoaders) or a provider's fleet page by page.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use roundabout_api::states::VehicleStatus;
use roundabout_api::ErrorCode;
use roundabout_support::{
    error::{violated_constraint, ValidJson},
    internal_auth::Caller,
    ApiError, ApiResult,
};
use uuid::Uuid;

use crate::{
    clients,
    db::{
        approvals,
        vehicles::{self, VehicleRow},
    },
    domain::vehicle::{self as rules, parse_enum, parse_vehicle, VehicleIn},
    AppState,
};
use roundabout_api::{
    inventory::{BatchIn, FleetPage, FleetQuery, StatusIn, VehicleData},
    routes,
};

/// Most ids a batch read takes.
pub const MAX_BATCH: usize = 500;
/// Largest page of a fleet.
pub const MAX_PAGE: i64 = 100;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::inventory::VEHICLES, post(create))
        .route(routes::inventory::VEHICLES_BATCH, post(batch))
        .route(routes::inventory::VEHICLE, get(read).put(replace))
        .route(routes::inventory::VEHICLE_STATUS, post(set_status))
        .route(routes::inventory::PROVIDER_VEHICLES, get(fleet))
}

/// The provider the caller acts for, or 403.
pub fn acting_provider(caller: &Caller) -> Result<Uuid, ApiError> {
    caller
        .provider_id
        .ok_or_else(|| ApiError::forbidden("Only members of a provider organisation may manage vehicles"))
}

/// 409 `REGISTRATION_TAKEN` for the unique registration constraint.
pub fn map_write_error(e: sqlx::Error) -> ApiError {
    if violated_constraint(&e) == Some("vehicles_registration_key") {
        return ApiError::conflict(
            ErrorCode::RegistrationTaken,
            "Another vehicle already has this registration",
        )
        .with_field(["registration"]);
    }
    e.into()
}

/// Refuses a location outside the UK when the provider operates in (or has
/// applied to) a council in the UK.
pub async fn check_region(s: &AppState, provider_id: Uuid, lat: f64, lon: f64) -> Result<(), ApiError> {
    if rules::in_uk(lon, lat) {
        return Ok(());
    }
    for a in approvals::of_provider(&s.pool, provider_id).await? {
        let council = clients::councils::council(s, a.council_id).await?;
        if clients::councils::in_uk(&council) {
            return Err(ApiError::invalid(
                "location",
                format!(
                    "The location is outside the United Kingdom, where {} is",
                    council.row.name
                ),
            ));
        }
    }
    Ok(())
}

/// Loads a vehicle the caller's provider owns: 404 if none, 403 if another's.
async fn owned(s: &AppState, caller: &Caller, id: Uuid) -> Result<VehicleRow, ApiError> {
    let provider_id = acting_provider(caller)?;
    let v = vehicles::get(&s.pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such vehicle"))?;
    if v.provider_id != provider_id {
        return Err(ApiError::forbidden("This vehicle belongs to another provider"));
    }
    Ok(v)
}

/// `POST /internal/vehicles`: a provider member adds a vehicle (AVAILABLE).
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<VehicleIn>,
) -> ApiResult<(StatusCode, Json<VehicleData>)> {
    let provider_id = acting_provider(&caller)?;
    let v = parse_vehicle(&body)?;
    check_region(&s, provider_id, v.lat, v.lon).await?;
    let mut conn = s.pool.acquire().await?;
    let row = vehicles::insert(&mut conn, Uuid::new_v4(), provider_id, &v, VehicleStatus::Available)
        .await
        .map_err(map_write_error)?;
    s.index.apply_vehicle(row.clone());
    tracing::info!(vehicle = %row.id, provider = %provider_id, "vehicle added");
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// `PUT /internal/vehicles/{id}`: replaces the description of one's own vehicle.
async fn replace(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<VehicleIn>,
) -> ApiResult<Json<VehicleData>> {
    let current = owned(&s, &caller, id).await?;
    let v = parse_vehicle(&body)?;
    check_region(&s, current.provider_id, v.lat, v.lon).await?;
    let row = vehicles::update(&s.pool, id, &v)
        .await
        .map_err(map_write_error)?
        .ok_or_else(|| ApiError::not_found("No such vehicle"))?;
    s.index.apply_vehicle(row.clone());
    Ok(Json(row.into()))
}

/// `POST /internal/vehicles/{id}/status`: AVAILABLE, MAINTENANCE or RETIRED.
async fn set_status(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<StatusIn>,
) -> ApiResult<Json<VehicleData>> {
    owned(&s, &caller, id).await?;
    let status = parse_enum(&body.status, VehicleStatus::ALL, "status")?;
    let row = vehicles::set_status(&s.pool, id, status)
        .await?
        .ok_or_else(|| ApiError::not_found("No such vehicle"))?;
    s.index.apply_vehicle(row.clone());
    Ok(Json(row.into()))
}

async fn read(State(s): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<VehicleData>> {
    vehicles::get(&s.pool, id)
        .await?
        .map(|v| Json(v.into()))
        .ok_or_else(|| ApiError::not_found("No such vehicle"))
}

/// `POST /internal/vehicles/batch`: the vehicles among `ids` (for DataLoaders).
async fn batch(State(s): State<AppState>, ValidJson(body): ValidJson<BatchIn>) -> ApiResult<Json<Vec<VehicleData>>> {
    if body.ids.len() > MAX_BATCH {
        return Err(ApiError::invalid("ids", format!("At most {MAX_BATCH} ids per batch")));
    }
    Ok(Json(
        vehicles::get_many(&s.pool, &body.ids)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// `GET /internal/providers/{id}/vehicles?first=&after=`: the fleet in the
/// order vehicles were added.
async fn fleet(
    State(s): State<AppState>,
    Path(id): Path<Uuid>,
    Query(q): Query<FleetQuery>,
) -> ApiResult<Json<FleetPage>> {
    let first = q.first.unwrap_or(20);
    if !(0..=MAX_PAGE).contains(&first) {
        return Err(ApiError::invalid(
            "first",
            format!("first must be between 0 and {MAX_PAGE}"),
        ));
    }
    let mut items = vehicles::page(&s.pool, id, q.after.unwrap_or(0), first + 1).await?;
    let has_next_page = items.len() as i64 > first;
    items.truncate(first as usize);
    let total_count = vehicles::count(&s.pool, id).await?;
    Ok(Json(FleetPage {
        items: items.into_iter().map(Into::into).collect(),
        total_count,
        has_next_page,
    }))
}
