//! Zones: drawn by officers inside their council; read by anyone.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use geo::Intersects;
use roundabout_api::ErrorCode;
use roundabout_support::{
    error::{violated_constraint, ValidJson},
    internal_auth::Caller,
    text, ApiError, ApiResult,
};
use uuid::Uuid;

use crate::{
    db::{councils, profiles, zones},
    domain::geometry::Area,
    http::councils::MAX_BATCH,
    AppState,
};
use roundabout_api::{
    eligibility::{BatchIn, ZoneData, ZoneIn},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::ZONES, post(create))
        .route(routes::eligibility::ZONES_BATCH, post(batch))
        .route(routes::eligibility::COUNCIL_ZONES, get(of_council))
}

/// `POST /internal/zones`: an officer draws a zone in their council. The
/// zone must be valid GeoJSON and lie inside or across the council's
/// boundary. Profiles inside it gain it in the same transaction.
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<ZoneIn>,
) -> ApiResult<(StatusCode, Json<ZoneData>)> {
    let council = councils::get(&s.pool, body.council_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such council").with_field(["councilId"]))?;
    caller.require_council_officer(council.id)?;
    let name = text::single_line("name", "The zone name", &body.name, 200)?;
    let name = name.as_str();
    let area = Area::parse(&body.geometry).map_err(|e| e.with_field(["geometry"]))?;
    let boundary = Area::stored(&council.boundary)?;
    if !area.shape().intersects(boundary.shape()) {
        return Err(ApiError::unprocessable(
            ErrorCode::InvalidGeometry,
            "The zone lies outside the council's boundary",
        )
        .with_field(["geometry"]));
    }
    let mut tx = s.pool.begin().await?;
    // Serialises with profile updates of this council, so none misses the zone.
    councils::lock_for_zones(&mut *tx, council.id).await?;
    let id = Uuid::new_v4();
    let zone = match zones::insert(&mut *tx, id, council.id, name, area.geometry(), area.bbox()).await {
        Ok(z) => z,
        Err(e) if violated_constraint(&e) == Some("zones_council_name_key") => {
            return Err(ApiError::invalid(
                "name",
                format!("The council already has a zone called {name:?}"),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let candidates = profiles::located_in_box(&mut *tx, council.id, area.bbox()).await?;
    let inside: Vec<Uuid> = candidates
        .into_iter()
        .filter(|(_, lon, lat)| area.contains(*lon, *lat))
        .map(|(h, _, _)| h)
        .collect();
    let updated = profiles::add_zone(&mut *tx, id, &inside).await?;
    tx.commit().await?;
    tracing::info!(zone = %id, council = %council.id, households = updated, "zone created");
    Ok((StatusCode::CREATED, Json(zone.into())))
}

/// `GET /internal/councils/{id}/zones`: a council's zones (public).
async fn of_council(State(s): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<ZoneData>>> {
    Ok(Json(
        zones::of_council(&s.pool, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// `POST /internal/zones/batch`: zones by id (for DataLoaders).
async fn batch(State(s): State<AppState>, ValidJson(body): ValidJson<BatchIn>) -> ApiResult<Json<Vec<ZoneData>>> {
    if body.ids.len() > MAX_BATCH {
        return Err(ApiError::invalid("ids", format!("At most {MAX_BATCH} ids per batch")));
    }
    Ok(Json(
        zones::get_many(&s.pool, &body.ids)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}
