//! Provider organisations: created by the gateway at sign-up, read in batches.

use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{post, put},
    Json, Router,
};
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    db::providers,
    domain::provider::{Contact, OrganisationName},
    AppState,
};
use roundabout_api::{
    inventory::{BatchIn, ProviderContactIn, ProviderData, ProviderIn},
    routes,
};

/// Most ids a batch read takes.
pub const MAX_BATCH: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::inventory::PROVIDER, put(create).get(read))
        .route(routes::inventory::PROVIDERS_BATCH, post(batch))
        .route(routes::inventory::PROVIDER_CONTACT, put(set_contact))
}

/// `PUT /internal/providers/{id}`: creates the organisation (idempotent by id).
async fn create(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<ProviderIn>,
) -> ApiResult<(StatusCode, Json<ProviderData>)> {
    if !caller.is_service() {
        return Err(ApiError::forbidden("Provider organisations are created at sign-up"));
    }
    let name = OrganisationName::parse(&body.name)?;
    let row = providers::insert_if_absent(&s.pool, id, name.as_str()).await?;
    Ok((StatusCode::OK, Json(row.into())))
}

async fn read(State(s): State<AppState>, Path(id): Path<Uuid>) -> ApiResult<Json<ProviderData>> {
    providers::get(&s.pool, id)
        .await?
        .map(|p| Json(p.into()))
        .ok_or_else(|| ApiError::not_found("No such provider"))
}

/// `POST /internal/providers/batch`: the providers among `ids` (for DataLoaders).
async fn batch(State(s): State<AppState>, ValidJson(body): ValidJson<BatchIn>) -> ApiResult<Json<Vec<ProviderData>>> {
    if body.ids.len() > MAX_BATCH {
        return Err(ApiError::invalid("ids", format!("At most {MAX_BATCH} ids per batch")));
    }
    Ok(Json(
        providers::get_many(&s.pool, &body.ids)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// `PUT /internal/providers/{id}/contact`: the provider's members (or an
/// admin) replace where its vehicles are collected and how to reach it.
async fn set_contact(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(body): ValidJson<ProviderContactIn>,
) -> ApiResult<Json<ProviderData>> {
    if caller.provider_id != Some(id) && !caller.admin && !caller.is_service() {
        return Err(ApiError::forbidden(
            "Only the provider's own members change its contact details",
        ));
    }
    let contact = Contact::parse(
        body.pickup_address.as_deref(),
        body.contact.phone.as_deref(),
        body.contact.email.as_deref(),
    )?;
    providers::set_contact(&s.pool, id, &contact)
        .await?
        .map(|p| Json(p.into()))
        .ok_or_else(|| ApiError::not_found("No such provider"))
}
