//! Providers in councils: a provider applies, the council's officers approve
//! or suspend it.

use axum::{
    extract::{Path, Query, State},
    routing::{get, post},
    Json, Router,
};
use roundabout_api::states::ProviderStatus;
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    clients,
    db::{approvals, providers},
    domain::vehicle::parse_enum,
    AppState,
};
use roundabout_api::{
    inventory::{ApprovalData, CouncilProviderData, CouncilProvidersQuery},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::inventory::PROVIDER_COUNCILS, get(of_provider))
        .route(routes::inventory::PROVIDER_COUNCIL, post(apply))
        .route(routes::inventory::COUNCIL_PROVIDERS, get(of_council))
        .route(routes::inventory::COUNCIL_PROVIDER_APPROVE, post(approve))
        .route(routes::inventory::COUNCIL_PROVIDER_SUSPEND, post(suspend))
}

/// `POST /internal/providers/{id}/councils/{council_id}`: the provider's
/// members apply to operate in a council (PENDING); applying again keeps the
/// current standing.
async fn apply(
    State(s): State<AppState>,
    caller: Caller,
    Path((id, council_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<ApprovalData>> {
    if caller.provider_id != Some(id) && !caller.is_service() {
        return Err(ApiError::forbidden("Only members of the provider may apply for it"));
    }
    if providers::get(&s.pool, id).await?.is_none() {
        return Err(ApiError::not_found("No such provider"));
    }
    clients::councils::council(&s, council_id).await?;
    approvals::apply(&s.pool, id, council_id).await?;
    let row = approvals::get(&s.pool, id, council_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application vanished")))?;
    s.index.apply_approval(id, council_id, row.status, row.change_seq);
    tracing::info!(provider = %id, council = %council_id, status = %row.status, "provider applied");
    Ok(Json(row.into()))
}

async fn decide(
    s: &AppState,
    caller: &Caller,
    council_id: Uuid,
    id: Uuid,
    status: ProviderStatus,
) -> ApiResult<Json<ApprovalData>> {
    caller.require_council_officer(council_id)?;
    let decided_by = caller.user_id;
    let row = approvals::decide(&s.pool, id, council_id, status, decided_by)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("This provider has not applied to operate in this council").with_field(["provider_id"])
        })?;
    s.index.apply_approval(id, council_id, row.status, row.change_seq);
    tracing::info!(provider = %id, council = %council_id, status = %status, by = ?decided_by, "provider decision");
    Ok(Json(row.into()))
}

/// `POST /internal/councils/{council_id}/providers/{id}/approve`: officers of
/// the council only.
async fn approve(
    State(s): State<AppState>,
    caller: Caller,
    Path((council_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<ApprovalData>> {
    decide(&s, &caller, council_id, id, ProviderStatus::Approved).await
}

/// `POST /internal/councils/{council_id}/providers/{id}/suspend`: officers of
/// the council only; the provider's vehicles stop being offered there.
async fn suspend(
    State(s): State<AppState>,
    caller: Caller,
    Path((council_id, id)): Path<(Uuid, Uuid)>,
) -> ApiResult<Json<ApprovalData>> {
    decide(&s, &caller, council_id, id, ProviderStatus::Suspended).await
}

/// `GET /internal/providers/{id}/councils`: the provider's standing in each
/// council it applied to.
async fn of_provider(State(s): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<Vec<ApprovalData>>> {
    Ok(Json(
        approvals::of_provider(&s.pool, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// `GET /internal/councils/{council_id}/providers?status=`: officers of the
/// council only.
async fn of_council(
    State(s): State<AppState>,
    caller: Caller,
    Path(council_id): Path<Uuid>,
    Query(q): Query<CouncilProvidersQuery>,
) -> ApiResult<Json<Vec<CouncilProviderData>>> {
    caller.require_council_officer(council_id)?;
    let status = q
        .status
        .as_deref()
        .map(|st| parse_enum(st, ProviderStatus::ALL, "status"))
        .transpose()?;
    Ok(Json(
        approvals::providers_of_council(&s.pool, council_id, status)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}
