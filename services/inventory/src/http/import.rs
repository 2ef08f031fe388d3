//! `POST /internal/vehicles/import`: a provider imports a fleet from CSV or
//! a GBFS `vehicle_types` + `vehicle_status` pair, all rows or none.
//!
//! Rows that are wrong are not a failed request: the answer is 200 with
//! `imported: 0` and every row's problem in `errors` (line and field), so a
//! provider can fix the whole file at once. A request that cannot be an
//! import at all (unknown format, missing file, too large) is a 4xx.

use roundabout_api::ErrorCode;
use std::collections::{HashMap, HashSet};

use axum::{extract::State, routing::post, Json, Router};
use roundabout_api::states::VehicleStatus;
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    clients,
    db::{approvals, vehicles},
    domain::{
        import::{self, Row, RowError},
        vehicle::in_uk,
    },
    http::vehicles::{acting_provider, map_write_error},
    AppState,
};
use roundabout_api::{inventory::ImportIn, routes};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::inventory::VEHICLES_IMPORT, post(import_fleet))
}

/// The import's answer (declared in the contract).
pub use roundabout_api::inventory::ImportData as ImportOut;

fn refused(errors: Vec<RowError>) -> Json<ImportOut> {
    Json(ImportOut {
        imported: 0,
        vehicle_ids: Vec::new(),
        errors,
    })
}

async fn import_fleet(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<ImportIn>,
) -> ApiResult<Json<ImportOut>> {
    let provider_id = acting_provider(&caller)?;
    let parsed = match body.format.to_ascii_lowercase().as_str() {
        "csv" => {
            let text = body
                .csv
                .as_deref()
                .ok_or_else(|| ApiError::invalid("csv", "A CSV import needs the file in csv"))?;
            import::from_csv(text)
        }
        "gbfs" => {
            let (Some(types), Some(status)) = (&body.vehicle_types, &body.vehicle_status) else {
                return Err(ApiError::invalid(
                    "vehicle_types",
                    "A GBFS import needs vehicle_types and vehicle_status",
                ));
            };
            let pricing = body
                .pricing
                .as_ref()
                .ok_or_else(|| ApiError::invalid("pricing", "A GBFS import needs the pricing to give the vehicles"))?;
            import::from_gbfs(types, status, pricing)
        }
        other => {
            let shown: String = other.chars().take(40).collect();
            return Err(ApiError::invalid(
                "format",
                format!("Unknown import format {shown:?}: expected CSV or GBFS"),
            ));
        }
    };
    let rows = match parsed {
        Ok(rows) => rows,
        Err(errors) => return Ok(refused(errors)),
    };
    let errors = check_rows(&s, provider_id, &rows).await?;
    if !errors.is_empty() {
        return Ok(refused(errors));
    }
    let mut tx = s.pool.begin().await?;
    let mut stored = Vec::with_capacity(rows.len());
    for r in &rows {
        let row = vehicles::insert(
            &mut tx,
            Uuid::new_v4(),
            provider_id,
            &r.vehicle,
            VehicleStatus::Available,
        )
        .await
        .map_err(map_write_error)?;
        stored.push(row);
    }
    tx.commit().await?;
    let ids = stored.iter().map(|v| v.id).collect();
    for v in stored {
        s.index.apply_vehicle(v);
    }
    tracing::info!(provider = %provider_id, count = rows.len(), "fleet imported");
    Ok(Json(ImportOut {
        imported: u64::try_from(rows.len()).unwrap_or(u64::MAX),
        vehicle_ids: ids,
        errors: Vec::new(),
    }))
}

/// What can only be checked against the database: registrations in use
/// (in the file or by another vehicle) and the UK rule.
async fn check_rows(s: &AppState, provider_id: Uuid, rows: &[Row]) -> Result<Vec<RowError>, ApiError> {
    let mut errors = Vec::new();
    let mut seen: HashMap<&str, u64> = HashMap::new();
    for r in rows {
        if let Some(reg) = r.vehicle.registration.as_deref() {
            if let Some(first) = seen.insert(reg, r.line) {
                errors.push(RowError {
                    code: ErrorCode::RegistrationTaken,
                    ..RowError::new(
                        r.line,
                        "registration",
                        format!("Registration {reg} is also on line {first}"),
                    )
                });
            }
        }
    }
    let regs: Vec<String> = seen.keys().map(|r| r.to_string()).collect();
    let taken: HashSet<String> = vehicles::registrations_taken(&s.pool, &regs)
        .await?
        .into_iter()
        .collect();
    let mut uk = false;
    for a in approvals::of_provider(&s.pool, provider_id).await? {
        let council = clients::councils::council(s, a.council_id).await?;
        uk |= clients::councils::in_uk(&council);
    }
    for r in rows {
        if let Some(reg) = r.vehicle.registration.as_deref().filter(|reg| taken.contains(*reg)) {
            errors.push(RowError {
                code: ErrorCode::RegistrationTaken,
                ..RowError::new(
                    r.line,
                    "registration",
                    format!("Another vehicle already has registration {reg}"),
                )
            });
        }
        if uk && !in_uk(r.vehicle.lon, r.vehicle.lat) {
            errors.push(RowError::new(
                r.line,
                "lat",
                "The location is outside the United Kingdom, where the provider operates",
            ));
        }
    }
    errors.sort_by_key(|e| e.line);
    Ok(errors)
}
