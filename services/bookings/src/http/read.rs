//! Reading and cancelling bookings, with tenancy: the household, officers
//! of its council and the provider see a booking; nobody else learns it
//! exists (404). Only the household and officers cancel.

use axum::{
    extract::{Path, Query, State},
    routing::{get, post},
    Json, Router,
};
use chrono::Utc;
use roundabout_api::ErrorCode;
use roundabout_api::{
    states::{BookingStatus, SagaStep},
    Pence,
};
use roundabout_support::{error::ValidJson, internal_auth::Caller, text, ApiError, ApiResult};
use uuid::Uuid;

use crate::{
    db::{self, BookingRow, Owner},
    domain, saga, AppState,
};
use roundabout_api::{
    bookings::{BatchIn, BookingData, BookingPage, CancelIn, PageIn},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::bookings::BOOKING, get(read))
        .route(routes::bookings::BOOKINGS_BATCH, post(batch))
        .route(routes::bookings::BOOKING_CANCEL, post(cancel))
        .route(routes::bookings::HOUSEHOLD_BOOKINGS, get(by_household))
        .route(routes::bookings::PROVIDER_BOOKINGS, get(by_provider))
}

/// May `caller` see this booking?
pub fn may_read(caller: &Caller, b: &BookingRow) -> bool {
    caller.is_service()
        || caller.household.is_some_and(|h| h.household_id == b.household_id)
        || caller.provider_id == Some(b.provider_id)
        || caller.can_administer(b.council_id)
}

async fn read(State(s): State<AppState>, caller: Caller, Path(id): Path<Uuid>) -> ApiResult<Json<BookingData>> {
    db::get(&s.pool, id)
        .await?
        .filter(|b| may_read(&caller, b))
        .map(|b| Json(b.into()))
        .ok_or_else(|| ApiError::not_found("No such booking"))
}

async fn batch(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<BatchIn>,
) -> ApiResult<Json<Vec<BookingData>>> {
    if input.ids.len() > 500 {
        return Err(ApiError::invalid("ids", "At most 500 ids per batch"));
    }
    let rows = db::get_many(&s.pool, &input.ids).await?;
    Ok(Json(
        rows.into_iter()
            .filter(|b| may_read(&caller, b))
            .map(Into::into)
            .collect(),
    ))
}

async fn cancel(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    ValidJson(input): ValidJson<CancelIn>,
) -> ApiResult<Json<BookingData>> {
    let b = db::get(&s.pool, id)
        .await?
        .filter(|b| may_read(&caller, b))
        .ok_or_else(|| ApiError::not_found("No such booking"))?;
    let own = caller.household.is_some_and(|h| h.household_id == b.household_id);
    if !(own || caller.can_administer(b.council_id)) {
        return Err(ApiError::forbidden(
            "Only the household or an officer of its council cancels a booking",
        ));
    }
    let reason = match input.reason.as_deref() {
        Some(r) => Some(text::multi_line("reason", "The reason", r, 500)?).filter(|r| !r.is_empty()),
        None => None,
    };
    let invalid = || {
        ApiError::conflict(
            ErrorCode::InvalidState,
            format!(
                "A booking that is {} cannot be cancelled",
                b.status.as_str().to_lowercase()
            ),
        )
    };
    if b.cancelled_at.is_some()
        || !matches!(
            b.status,
            BookingStatus::PendingPayment | BookingStatus::Confirmed | BookingStatus::Active
        )
    {
        return Err(invalid());
    }
    if !start_cancellation(&s, &b, reason.as_deref()).await? {
        return Err(match db::get(&s.pool, id).await? {
            Some(now) if now.cancelled_at.is_none() && now.step != SagaStep::Done => ApiError::conflict(
                ErrorCode::InvalidState,
                "The booking is being processed; try again in a moment",
            ),
            _ => invalid(),
        });
    }
    let b = saga::drive(&s, id, true)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("booking vanished")))?;
    Ok(Json(b.into()))
}

/// Starts cancelling `b` under the usual refund rules (a paid booking's
/// household share back by [`domain::refund_due`], an unpaid one's payment
/// released); false when it may not be cancelled now or someone is driving it.
pub(crate) async fn start_cancellation(s: &AppState, b: &BookingRow, reason: Option<&str>) -> sqlx::Result<bool> {
    let paid = b.status != BookingStatus::PendingPayment;
    let refund = if paid {
        domain::refund_due(b.first_base_pence - b.first_subsidy_pence, b.start_at, Utc::now())
    } else {
        Pence::ZERO
    };
    saga::start_cancellation(s, b.id, reason, refund, paid).await
}

async fn page(
    s: &AppState,
    owner: Owner,
    id: Uuid,
    councils: Option<&[Uuid]>,
    q: PageIn,
) -> ApiResult<Json<BookingPage>> {
    let first = q.first.unwrap_or(20);
    if !(0..=100).contains(&first) {
        return Err(ApiError::invalid("first", "`first` must be between 0 and 100"));
    }
    let (mut rows, total) = db::page(&s.pool, owner, id, councils, q.after.unwrap_or(0), first + 1).await?;
    let has_next_page = rows.len() as i64 > first;
    rows.truncate(first as usize);
    Ok(Json(BookingPage {
        bookings: rows.into_iter().map(Into::into).collect(),
        total_count: total,
        has_next_page,
    }))
}

/// The councils whose bookings `caller` sees in someone else's list: all
/// (`None`) for services and admins, else those it is an officer of.
fn officer_scope(caller: &Caller) -> Option<&[Uuid]> {
    (!(caller.is_service() || caller.admin)).then_some(caller.officer_of.as_slice())
}

async fn by_household(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<PageIn>,
) -> ApiResult<Json<BookingPage>> {
    let own = caller.household.is_some_and(|h| h.household_id == id);
    if !(own || caller.is_service() || caller.admin || !caller.officer_of.is_empty()) {
        return Err(ApiError::forbidden(
            "Only the household and officers of its council see its bookings",
        ));
    }
    // Officers see the bookings of their own councils' households only.
    let councils = if own { None } else { officer_scope(&caller) };
    page(&s, Owner::Household, id, councils, q).await
}

async fn by_provider(
    State(s): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(q): Query<PageIn>,
) -> ApiResult<Json<BookingPage>> {
    let member = caller.provider_id == Some(id);
    if !(member || caller.is_service() || caller.admin || !caller.officer_of.is_empty()) {
        return Err(ApiError::forbidden(
            "Only the provider and officers of its councils see its bookings",
        ));
    }
    // Officers see, and count, the provider's bookings made in their councils.
    let councils = if member { None } else { officer_scope(&caller) };
    page(&s, Owner::Provider, id, councils, q).await
}
