//! Geo search for the offers broker: AVAILABLE vehicles of providers approved
//! in a council, inside its boundary, within a radius, nearest first.
//! Answered from the in-memory index without touching the database.

use axum::{extract::State, http::header, response::IntoResponse, routing::post, Router};
use roundabout_api::states::VehicleKind;
use roundabout_support::{error::ValidJson, ApiError, ApiResult};

use crate::{
    clients,
    domain::vehicle::{parse_enum, parse_location, LocationIn},
    index::SearchQuery,
    AppState,
};
use roundabout_api::{
    inventory::{SearchHit, SearchIn, SearchResults},
    routes,
};

/// Largest radius, in km.
pub const MAX_RADIUS_KM: f64 = 100.0;
/// Most results.
pub const MAX_LIMIT: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new().route(routes::inventory::VEHICLES_SEARCH, post(search))
}

/// Checks a search request.
pub fn parse(body: &SearchIn) -> Result<SearchQuery, ApiError> {
    let (lat, lon) = parse_location(LocationIn {
        lat: body.lat,
        lon: body.lon,
    })
    .map_err(|e| {
        let f = e.body.field.clone().unwrap_or_default();
        e.with_field(f.into_iter().skip(1))
    })?;
    let radius_km = body.radius_km.unwrap_or(5.0);
    if !radius_km.is_finite() || radius_km <= 0.0 || radius_km > MAX_RADIUS_KM {
        return Err(ApiError::invalid(
            "radius_km",
            format!("The radius must be more than 0 and at most {MAX_RADIUS_KM} km"),
        ));
    }
    let limit = body.limit.unwrap_or(20);
    if limit > MAX_LIMIT {
        return Err(ApiError::invalid(
            "limit",
            format!("The limit must be at most {MAX_LIMIT}"),
        ));
    }
    if body.seats.is_some_and(|s| !(1..=16).contains(&s)) {
        return Err(ApiError::invalid("seats", "Seats must be between 1 and 16"));
    }
    let kind = body
        .kind
        .as_deref()
        .map(|k| parse_enum(k, VehicleKind::ALL, "kind"))
        .transpose()?;
    Ok(SearchQuery {
        council_id: body.council_id,
        lat,
        lon,
        radius_km,
        limit,
        min_seats: body.seats,
        wheelchair_accessible: body.wheelchair_accessible.unwrap_or(false),
        electric_only: body.electric_only.unwrap_or(false),
        kind,
    })
}

/// `POST /internal/vehicles/search`.
async fn search(State(s): State<AppState>, ValidJson(body): ValidJson<SearchIn>) -> ApiResult<impl IntoResponse> {
    let q = parse(&body)?;
    let hits = match s.index.search(&q) {
        Some(h) => h,
        None => {
            clients::councils::council(&s, q.council_id).await?;
            s.index
                .search(&q)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("council not in the index after loading")))?
        }
    };
    let out = SearchResults {
        results: hits
            .iter()
            .map(|h| SearchHit {
                vehicle: &h.vehicle,
                distance_km: h.distance_km,
            })
            .collect(),
    };
    // Serialised straight from the index's shared rows, without copying them.
    let bytes = serde_json::to_vec(&out).map_err(anyhow::Error::from)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes))
}
