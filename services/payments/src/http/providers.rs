//! Providers' payouts and councils' platform fees.

use axum::{
    extract::{Path, State},
    routing::{post, put},
    Json, Router,
};
use roundabout_support::{error::ValidJson, internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{db, ops::connect, AppState};
use roundabout_api::{
    payments::{BatchIn, FeeIn, PayoutsData},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::payments::PROVIDER_ONBOARDING, post(onboarding))
        .route(routes::payments::PROVIDERS_PAYOUTS_BATCH, post(payouts_batch))
        .route(routes::payments::COUNCIL_PLATFORM_FEE, put(set_fee))
}

/// `POST /internal/providers/{id}/onboarding`: a member of the provider asks
/// for a Connect onboarding link.
async fn onboarding(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(input): ValidJson<connect::OnboardingIn>,
) -> ApiResult<Json<connect::OnboardingOut>> {
    if caller.provider_id != Some(id) && !caller.is_service() {
        return Err(ApiError::forbidden(
            "Only members of the provider may set up its payouts",
        ));
    }
    Ok(Json(connect::onboarding(&s, id, input).await?))
}

/// `POST /internal/providers/payouts/batch`: whether each provider can be paid
/// (providers without an account are `false`).
async fn payouts_batch(
    State(s): State<AppState>,
    ValidJson(input): ValidJson<BatchIn>,
) -> ApiResult<Json<Vec<PayoutsData>>> {
    if input.ids.len() > 500 {
        return Err(ApiError::invalid("ids", "At most 500 ids per batch"));
    }
    let known = db::accounts::accounts(&s.pool, &input.ids).await?;
    Ok(Json(
        input
            .ids
            .iter()
            .map(|id| PayoutsData {
                provider_id: *id,
                payouts_enabled: known.iter().any(|a| a.provider_id == *id && a.payouts_enabled),
            })
            .collect(),
    ))
}

/// `PUT /internal/councils/{id}/platform-fee`: admins set a council's fee.
async fn set_fee(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(input): ValidJson<FeeIn>,
) -> ApiResult<Json<FeeIn>> {
    caller.require_admin()?;
    if !(0..=5000).contains(&input.basis_points) {
        return Err(ApiError::invalid(
            "basis_points",
            "The fee must be between 0 and 5000 basis points (50%)",
        ));
    }
    db::payments::set_council_fee(&s.pool, id, input.basis_points).await?;
    Ok(Json(input))
}
