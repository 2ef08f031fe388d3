//! Councils: created by admins through the gateway, read by anyone.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use roundabout_api::ErrorCode;
use roundabout_support::{
    error::{violated_constraint, ValidJson},
    internal_auth::Caller,
    ApiError, ApiResult,
};
use uuid::Uuid;

use crate::{
    db::councils::{self, NewCouncil},
    domain::{
        council::{parse_name, CouncilCode, CouncilDetails},
        geometry::Area,
    },
    AppState,
};
use roundabout_api::{
    eligibility::{BatchIn, ContactIn, CouncilData, CouncilDetailsIn, CouncilIn},
    routes,
};

/// Most ids a batch read takes.
pub const MAX_BATCH: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::COUNCILS, post(create).get(list))
        .route(routes::eligibility::COUNCIL, get(read))
        .route(routes::eligibility::COUNCILS_BATCH, post(batch))
        .route(routes::eligibility::COUNCIL_CONTACT, axum::routing::put(set_contact))
        .route(routes::eligibility::COUNCIL_DETAILS, axum::routing::put(set_details))
}

/// `POST /internal/councils`: admins create a council; idempotent by id.
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<CouncilIn>,
) -> ApiResult<(StatusCode, Json<CouncilData>)> {
    caller.require_admin()?;
    let name = parse_name(&body.name)?;
    let code = CouncilCode::parse(&body.code)?;
    let area = Area::parse(&body.boundary).map_err(|e| e.with_field(["boundary"]))?;
    let new = NewCouncil {
        id: body.id,
        name: &name,
        code: code.as_str(),
        boundary: area.geometry(),
        bbox: area.bbox(),
    };
    match councils::insert(&s.pool, &new).await {
        Ok(true) => {}
        Ok(false) => {
            // A retry of the same request finds what the first one stored.
            let existing = councils::get(&s.pool, body.id)
                .await?
                .ok_or_else(|| ApiError::not_found("No such council"))?;
            if existing.code != code.as_str() {
                return Err(ApiError::conflict(
                    ErrorCode::IdempotencyConflict,
                    "A different council already has this id",
                ));
            }
            return Ok((StatusCode::OK, Json(existing.into())));
        }
        Err(e) if violated_constraint(&e) == Some("councils_code_key") => {
            return Err(ApiError::conflict(
                ErrorCode::CodeTaken,
                format!("A council with code {} already exists", code.as_str()),
            )
            .with_field(["code"]));
        }
        Err(e) => return Err(e.into()),
    }
    let row = councils::get(&s.pool, body.id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such council"))?;
    tracing::info!(council = %row.id, code = %row.code, "council created");
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// `GET /internal/councils`: every council (public).
async fn list(State(s): State<AppState>) -> ApiResult<Json<Vec<CouncilData>>> {
    Ok(Json(
        councils::list(&s.pool).await?.into_iter().map(Into::into).collect(),
    ))
}

async fn read(State(s): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<CouncilData>> {
    councils::get(&s.pool, id)
        .await?
        .map(|r| Json(r.into()))
        .ok_or_else(|| ApiError::not_found("No such council"))
}

/// `POST /internal/councils/batch`: the councils among `ids` (for DataLoaders).
async fn batch(State(s): State<AppState>, ValidJson(body): ValidJson<BatchIn>) -> ApiResult<Json<Vec<CouncilData>>> {
    if body.ids.len() > MAX_BATCH {
        return Err(ApiError::invalid("ids", format!("At most {MAX_BATCH} ids per batch")));
    }
    Ok(Json(
        councils::get_many(&s.pool, &body.ids)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// `PUT /internal/councils/{id}/contact`: officers of the council (and
/// admins) replace how residents reach it; empty clears a part.
async fn set_contact(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<ContactIn>,
) -> ApiResult<Json<CouncilData>> {
    caller.require_council_officer(id)?;
    let (phone, email) = roundabout_support::text::contact(body.phone.as_deref(), body.email.as_deref())?;
    councils::set_contact(&s.pool, id, email.as_deref(), phone.as_deref())
        .await?
        .map(|r| Json(r.into()))
        .ok_or_else(|| ApiError::not_found("No such council"))
}

/// `PUT /internal/councils/{id}/details`: officers of the council (and
/// admins) replace its contact details for residents together with its
/// data protection officer, postal address and accessibility contact, in
/// one change; empty clears a part.
async fn set_details(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<CouncilDetailsIn>,
) -> ApiResult<Json<CouncilData>> {
    caller.require_council_officer(id)?;
    let details = CouncilDetails::parse(&body)?;
    councils::set_details(&s.pool, id, &details)
        .await?
        .map(|r| Json(r.into()))
        .ok_or_else(|| ApiError::not_found("No such council"))
}
