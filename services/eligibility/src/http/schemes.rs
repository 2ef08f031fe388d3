//! Schemes: drafted and edited by officers of the council; ACTIVE ones are
//! public. Lifecycle changes are in `lifecycle.rs`.

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    routing::{get, post},
    Json, Router,
};
use roundabout_api::states::SchemeStatus;
use roundabout_api::ErrorCode;
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    db::{
        councils,
        schemes::{self, SchemeRow, TestCaseRow},
        zones,
    },
    domain::scheme::{parse_scheme, SchemeContent, SchemeIn},
    http::councils::MAX_BATCH,
    AppState,
};
use roundabout_api::{
    eligibility::{BatchIn, SchemesQuery},
    routes,
};

/// A scheme version as the API answers it.
pub use roundabout_api::eligibility::SchemeData as SchemeOut;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::SCHEMES, post(create))
        .route(routes::eligibility::SCHEMES_BATCH, post(batch))
        .route(routes::eligibility::SCHEME, get(read).put(update))
        .route(routes::eligibility::COUNCIL_SCHEMES, get(of_council))
}

/// A scheme version as the API answers it (test cases only for officers
/// of its council).
pub fn scheme_out(r: SchemeRow, test_cases: Vec<TestCaseRow>) -> SchemeOut {
    {
        SchemeOut {
            remaining_pence: r.remaining_pence(),
            id: r.id,
            line_id: r.line_id,
            council_id: r.council_id,
            version: r.version,
            name: r.name,
            description: r.description,
            status: r.status,
            zone_ids: r.zone_ids,
            criteria: r.criteria.0,
            percent_basis_points: r.percent_basis_points,
            cap_per_booking_pence: r.cap_per_booking_pence,
            applies_to: r.applies_to,
            budget_pence: r.budget_pence,
            committed_pence: r.committed_pence,
            held_pence: r.held_pence,
            effective_from: r.effective_from,
            effective_to: r.effective_to,
            published_at: r.published_at,
            test_cases: test_cases.into_iter().map(Into::into).collect(),
        }
    }
}

/// Drafts are seen only by officers of their council (and services).
pub fn visible(caller: &Caller, r: &SchemeRow) -> bool {
    r.status != SchemeStatus::Draft || caller.can_administer(r.council_id)
}

/// The scheme with test cases when the caller administers its council.
pub async fn out(pool: &PgPool, caller: &Caller, r: SchemeRow) -> ApiResult<SchemeOut> {
    let cases = if caller.can_administer(r.council_id) {
        schemes::test_cases(pool, r.id).await?
    } else {
        Vec::new()
    };
    Ok(scheme_out(r, cases))
}

/// Loads a scheme for an officer of its council: 404 unknown, 403 another council's.
pub async fn for_officer(pool: &PgPool, caller: &Caller, id: Uuid) -> ApiResult<SchemeRow> {
    let row = schemes::get(pool, id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such scheme"))?;
    caller.require_council_officer(row.council_id)?;
    Ok(row)
}

/// Parses scheme content and checks its council and zones.
async fn content(s: &AppState, caller: &Caller, body: SchemeIn) -> ApiResult<SchemeContent> {
    if councils::get(&s.pool, body.council_id).await?.is_none() {
        return Err(ApiError::not_found("No such council").with_field(["councilId"]));
    }
    caller.require_council_officer(body.council_id)?;
    let c = parse_scheme(body)?;
    let found = zones::get_many(&s.pool, &c.zone_ids).await?;
    if found.len() != c.zone_ids.len() || found.iter().any(|z| z.council_id != c.council_id) {
        return Err(ApiError::invalid(
            "zoneIds",
            "Every zone must be a zone of the scheme's council",
        ));
    }
    Ok(c)
}

/// `POST /internal/schemes`: a new scheme, as version 1 in DRAFT.
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<SchemeIn>,
) -> ApiResult<(StatusCode, Json<SchemeOut>)> {
    let c = content(&s, &caller, body).await?;
    let (line_id, id) = (Uuid::new_v4(), Uuid::new_v4());
    let mut tx = s.pool.begin().await?;
    schemes::insert_line(&mut *tx, line_id, c.council_id).await?;
    schemes::insert_version(&mut *tx, id, line_id, 1, &c).await?;
    tx.commit().await?;
    let row = for_officer(&s.pool, &caller, id).await?;
    tracing::info!(scheme = %id, council = %c.council_id, "scheme drafted");
    Ok((StatusCode::CREATED, Json(out(&s.pool, &caller, row).await?)))
}

/// `PUT /internal/schemes/{id}`: replaces a DRAFT's content.
async fn update(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<SchemeIn>,
) -> ApiResult<Json<SchemeOut>> {
    let row = for_officer(&s.pool, &caller, id).await?;
    let c = content(&s, &caller, body).await?;
    if c.council_id != row.council_id {
        return Err(ApiError::invalid(
            "councilId",
            "A scheme cannot move to another council",
        ));
    }
    if !schemes::update_draft(&s.pool, id, &c).await? {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            "Only a DRAFT can be edited; published versions are immutable (revise the scheme instead)",
        ));
    }
    let row = for_officer(&s.pool, &caller, id).await?;
    Ok(Json(out(&s.pool, &caller, row).await?))
}

/// `GET /internal/schemes/{id}`.
async fn read(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<SchemeOut>> {
    let row = schemes::get(&s.pool, id)
        .await?
        .filter(|r| visible(&caller, r))
        .ok_or_else(|| ApiError::not_found("No such scheme"))?;
    Ok(Json(out(&s.pool, &caller, row).await?))
}

/// `GET /internal/councils/{id}/schemes?status=`: the public sees ACTIVE
/// schemes; officers of the council see every status.
async fn of_council(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<SchemesQuery>,
) -> ApiResult<Json<Vec<SchemeOut>>> {
    let status: Option<SchemeStatus> = q
        .status
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|_| ApiError::invalid("status", "Unknown scheme status"))?;
    let officer = caller.can_administer(id);
    let status = match (officer, status) {
        (true, st) => st,
        (false, None | Some(SchemeStatus::Active)) => Some(SchemeStatus::Active),
        (false, Some(_)) => return Ok(Json(Vec::new())),
    };
    let mut res = Vec::new();
    for r in schemes::of_council(&s.pool, id, status).await? {
        res.push(out(&s.pool, &caller, r).await?);
    }
    Ok(Json(res))
}

/// `POST /internal/schemes/batch`: the visible schemes among `ids`.
async fn batch(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(body): ValidJson<BatchIn>,
) -> ApiResult<Json<Vec<SchemeOut>>> {
    if body.ids.len() > MAX_BATCH {
        return Err(ApiError::invalid("ids", format!("At most {MAX_BATCH} ids per batch")));
    }
    let mut res = Vec::new();
    for r in schemes::get_many(&s.pool, &body.ids).await? {
        if visible(&caller, &r) {
            res.push(out(&s.pool, &caller, r).await?);
        }
    }
    Ok(Json(res))
}
