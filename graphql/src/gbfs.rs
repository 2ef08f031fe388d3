//! The public GBFS v3.0 feed of each council, `GET /gbfs/{code}/{file}`
//! (`gbfs.json`, `system_information.json`, `vehicle_types.json`,
//! `vehicle_status.json`, `system_pricing_plans.json`,
//! `geofencing_zones.json`). The gateway is the only public part, so it
//! serves the feed: `gbfs.json` is built here from the request's own URL,
//! the other files come from inventory, asked as an anonymous caller.

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use roundabout_api::ErrorCode;
use roundabout_support::internal_auth::Caller;
use serde_json::{json, Value};

use crate::services::Gateway;
use roundabout_api::eligibility::CouncilData;
use roundabout_api::routes;

/// The files besides `gbfs.json`, as inventory serves them.
pub const FILES: &[&str] = &[
    "system_information",
    "vehicle_types",
    "vehicle_status",
    "system_pricing_plans",
    "geofencing_zones",
];

pub fn router(gateway: Gateway) -> Router {
    Router::new()
        .route("/gbfs/{code}/{file}", get(feed_file))
        .with_state(gateway)
}

fn problem(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "GBFS feed: a service did not answer");
    problem(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::ServiceUnavailable,
        "The feed is not available right now; please try again shortly",
    )
}

/// The feed's base URL as the client reached it.
fn base_url(headers: &HeaderMap, code: &str) -> String {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}/gbfs/{code}")
}

async fn feed_file(
    State(g): State<Gateway>,
    Path((code, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(name) = file.strip_suffix(".json") else {
        return problem(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such GBFS file");
    };
    if name != "gbfs" && !FILES.contains(&name) {
        return problem(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such GBFS file");
    }
    let councils: Vec<CouncilData> = match g
        .services
        .eligibility
        .get(routes::eligibility::COUNCILS, &Caller::anonymous())
        .await
    {
        Ok(c) => c,
        Err(e) => return unavailable(e),
    };
    let Some(council) = councils.into_iter().find(|c| c.code.eq_ignore_ascii_case(&code)) else {
        return problem(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No council has this code");
    };
    let body = if name == "gbfs" {
        let base = base_url(&headers, &council.code);
        let feeds: Vec<Value> = FILES
            .iter()
            .map(|f| json!({"name": f, "url": format!("{base}/{f}.json")}))
            .collect();
        json!({
            "last_updated": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "ttl": 60,
            "version": "3.0",
            "data": {"feeds": feeds},
        })
    } else {
        let path = routes::inventory::gbfs_file(council.id, name);
        match g.services.inventory.get::<Value>(&path, &Caller::anonymous()).await {
            Ok(v) => v,
            Err(e) if e.is_not_found() => {
                return problem(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such GBFS file")
            }
            Err(e) => return unavailable(e),
        }
    };
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(body)).into_response()
}
