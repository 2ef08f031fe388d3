//! `GET /internal/gbfs/{council_id}/{file}`: the files of a council's GBFS
//! feed, for the gateway to publish (`gbfs.json` itself is the gateway's, as
//! it holds the public URLs).

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use roundabout_support::{ApiError, ApiResult};
use uuid::Uuid;

use crate::{clients, gbfs, AppState};
use roundabout_api::routes;

pub fn router() -> Router<AppState> {
    Router::new().route(routes::inventory::GBFS_FILE, get(feed_file))
}

async fn feed_file(
    State(s): State<AppState>,
    Path((council_id, file)): Path<(Uuid, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    let file = file.strip_suffix(".json").unwrap_or(&file);
    if !gbfs::FILES.contains(&file) {
        return Err(ApiError::not_found("No such GBFS file"));
    }
    let council = clients::councils::council(&s, council_id).await?;
    let vehicles = || {
        s.index
            .in_council(council_id)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("council not in the index")))
    };
    let body = match file {
        "system_information" => gbfs::system_information(&council),
        "geofencing_zones" => gbfs::geofencing_zones(&council),
        "vehicle_types" => gbfs::vehicle_types(&vehicles()?),
        "vehicle_status" => gbfs::vehicle_status(&vehicles()?),
        _ => gbfs::system_pricing_plans(&vehicles()?),
    };
    Ok(Json(body))
}
