//! Retention periods: each council's, with its own choices for the kinds of
//! record it decides on, read and set by its officers (and admins); every
//! council's own choices read by the parts that delete records of councils
//! they do not own.

use std::collections::HashSet;

use axum::{
    extract::{Path, State},
    routing::get,
    Json, Router,
};
use roundabout_api::{
    retention::{self, CouncilPeriodData, RetentionIn, RetentionPeriodData},
    routes,
    states::RetentionKind,
    ErrorCode,
};
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{db, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::COUNCIL_RETENTION, get(read).put(update))
        .route(routes::eligibility::RETENTION_OVERRIDES, get(overrides))
}

/// Every kind's period for a council: its own choice where it made one,
/// else the configured default.
fn periods(s: &AppState, own: &[(RetentionKind, i32)]) -> Vec<RetentionPeriodData> {
    retention::RULES
        .iter()
        .map(|rule| {
            let default_days = s.retention.days(rule.kind);
            let chosen = own.iter().find(|(k, _)| *k == rule.kind).map(|(_, d)| *d);
            RetentionPeriodData {
                kind: rule.kind,
                days: chosen.unwrap_or(default_days),
                default_days,
                overridden: chosen.is_some(),
                council_decides: rule.council_decides,
            }
        })
        .collect()
}

async fn council_periods(s: &AppState, id: Uuid) -> ApiResult<Json<Vec<RetentionPeriodData>>> {
    if db::councils::get(&s.pool, id).await?.is_none() {
        return Err(ApiError::not_found("No such council"));
    }
    Ok(Json(periods(s, &db::retention::of_council(&s.pool, id).await?)))
}

/// `GET /internal/councils/{id}/retention`: anyone (each council's privacy
/// notice states its periods).
async fn read(State(s): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<RetentionPeriodData>>> {
    council_periods(&s, id).await
}

/// `PUT /internal/councils/{id}/retention`: officers of the council, admins.
/// Every period is checked before any is stored; all are stored together.
async fn update(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<RetentionIn>,
) -> ApiResult<Json<Vec<RetentionPeriodData>>> {
    caller.require_council_officer(id)?;
    let mut seen = HashSet::new();
    for (i, p) in body.periods.iter().enumerate() {
        let at = |field: &str| ["periods".to_string(), i.to_string(), field.to_string()];
        let rule = retention::rule(p.kind);
        if !seen.insert(p.kind) {
            return Err(ApiError::invalid("periods", format!("{} is given twice", p.kind)).with_field(at("kind")));
        }
        if !rule.council_decides {
            return Err(ApiError::unprocessable(
                ErrorCode::RetentionNotAdjustable,
                format!(
                    "How long {} are kept is set for the whole service, not by a council",
                    p.kind
                ),
            )
            .with_field(at("kind")));
        }
        if let Some(days) = p.days {
            rule.check(days)
                .map_err(|(code, message)| ApiError::unprocessable(code, message).with_field(at("days")))?;
        }
    }
    if db::councils::get(&s.pool, id).await?.is_none() {
        return Err(ApiError::not_found("No such council"));
    }
    let mut tx = s.pool.begin().await?;
    for p in &body.periods {
        db::retention::set(&mut tx, id, p.kind, p.days, caller.user_id).await?;
    }
    tx.commit().await?;
    tracing::info!(council = %id, by = ?caller.user_id, changes = body.periods.len(), "retention periods changed");
    council_periods(&s, id).await
}

/// `GET /internal/retention/overrides`: services only.
async fn overrides(State(s): State<AppState>, caller: Caller) -> ApiResult<Json<Vec<CouncilPeriodData>>> {
    if !caller.is_service() {
        return Err(ApiError::forbidden("Only Roundabout's own services read this"));
    }
    Ok(Json(db::retention::all(&s.pool).await?))
}
