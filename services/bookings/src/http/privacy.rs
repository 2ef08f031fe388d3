//! A household's data rights in bookings: every booking in its export, and
//! the two erasure steps the gateway drives (see `graphql/src/erasure/`):
//! cancelling the household's future bookings under the usual refund
//! rules, then removing what is personal from its bookings.

use axum::{
    extract::{Path, State},
    routing::{get, post},
    Json, Router,
};
use chrono::Utc;
use roundabout_api::{
    bookings::BookingData,
    privacy::{ErasureStepData, ExportData, ExportSection},
    routes,
    states::BookingStatus,
};
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use uuid::Uuid;

use crate::{db::privacy as db, http::read::start_cancellation, AppState};

/// The part whose erasure process alone calls the erasure steps.
const ERASER: &str = "gateway";

/// Written as the reason on bookings cancelled because the account closed.
pub const CLOSE_REASON: &str = "The household's account was closed";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::bookings::HOUSEHOLD_EXPORT, get(export))
        .route(routes::bookings::HOUSEHOLD_CLOSE, post(close))
        .route(routes::bookings::HOUSEHOLD_ERASURE, post(erase))
}

/// The household itself (or an officer acting for it) and officers of the
/// council of each booking.
async fn export(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ExportData>> {
    let rows = db::household_bookings(&s.pool, id).await?;
    let councils: Vec<Uuid> = rows.iter().map(|b| b.council_id).collect();
    if !caller.may_read_household(id, &councils) {
        return Err(ApiError::not_found("No such household"));
    }
    Ok(Json(ExportData {
        sections: vec![ExportSection::new(
            "bookings",
            "Your bookings",
            "To reserve the vehicle, take and refund payments, pay the provider and report the council's spending.",
            rows.into_iter().map(BookingData::from),
        )],
    }))
}

/// `POST /internal/households/{id}/close`: starts cancelling every booking
/// of the household that has not begun (a paid one refunded by the usual
/// rules); answers how many bookings are still unfinished. Asked again, it
/// starts what it could not before and counts again.
async fn close(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ErasureStepData>> {
    caller.require_service(ERASER)?;
    let now = Utc::now();
    let mut started = 0;
    for b in db::household_bookings(&s.pool, id).await? {
        let future = matches!(b.status, BookingStatus::PendingPayment | BookingStatus::Confirmed) && b.start_at > now;
        if future && b.cancelled_at.is_none() && start_cancellation(&s, &b, Some(CLOSE_REASON)).await? {
            started += 1;
            // The saga's resumer finishes it; driving it now only makes it sooner.
            if let Err(e) = crate::saga::drive(&s, b.id, true).await {
                tracing::warn!(booking = %b.id, error = %e, "cancelling for an account closure: left to the resumer");
            }
        }
    }
    let remaining = db::unfinished(&s.pool, id).await?;
    Ok(Json(ErasureStepData {
        remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
        changed: started,
    }))
}

/// `POST /internal/households/{id}/erasure`: after [`close`] answered none
/// remaining; idempotent.
async fn erase(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<ErasureStepData>> {
    caller.require_service(ERASER)?;
    Ok(Json(ErasureStepData::done(db::erase(&s.pool, id).await?)))
}
