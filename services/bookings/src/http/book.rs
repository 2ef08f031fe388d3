//! `POST /internal/bookings`: a household books a vehicle for itself.
//!
//! Every check runs before anything is written: the period (in the future,
//! not too far ahead, a hire not too long), the vehicle, the price, the
//! household's limits (bookings held or unpaid, overlapping hires). Then,
//! under a lock on the household (so two requests at once cannot both pass
//! its limits), the slot and the limits are checked again and the period is
//! reserved (the exclusion constraint catches races for the vehicle), and
//! the saga is driven until the booking is confirmed, failed, or waits for
//! the household's card.

use axum::{extract::State, routing::post, Json, Router};
use roundabout_api::states::{BookingKind, SagaStep, VehicleStatus};
use roundabout_api::ErrorCode;
use roundabout_support::{
    client::ClientError,
    error::{violated_constraint, ValidJson},
    internal_auth::Caller,
    text, ApiError, ApiResult,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    db::{self, BookingRow},
    domain::{self, PeriodIn, Prices},
    saga, AppState,
};
use roundabout_api::{
    bookings::BookingData,
    eligibility::{QuoteData, QuoteIn, SubsidyData},
    inventory::{SearchIn, SearchResults, VehicleData},
    routes, Pence,
};

pub fn router() -> Router<AppState> {
    Router::new().route(routes::bookings::BOOKINGS, post(book))
}

pub use roundabout_api::bookings::BookIn;

fn digest(input: &BookIn) -> String {
    let canonical = json!([input.vehicle_id, input.period, input.payment_method]);
    format!("{:x}", Sha256::digest(canonical.to_string().as_bytes()))
}

fn unavailable_vehicle() -> ApiError {
    ApiError::conflict(ErrorCode::VehicleUnavailable, "This vehicle cannot be booked").with_field(["vehicleId"])
}

fn slot_unavailable() -> ApiError {
    ApiError::conflict(
        ErrorCode::SlotUnavailable,
        "The vehicle is already booked for part of this period",
    )
}

fn service_down(e: ClientError) -> ApiError {
    ApiError::internal(anyhow::anyhow!(e))
}

/// The booking answer: the booking, and why it failed if it did.
async fn book(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(input): ValidJson<BookIn>,
) -> ApiResult<Json<BookingData>> {
    let membership = caller
        .household
        .filter(|h| h.household_id == input.household_id)
        .ok_or_else(|| ApiError::forbidden("A household books only for itself"))?;
    text::exact("idempotencyKey", "The idempotency key", &input.idempotency_key, 200)?;
    if let Some(pm) = &input.payment_method {
        if pm.is_empty() || pm.len() > 255 || !pm.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ApiError::invalid("paymentMethod", "Not a payment method id"));
        }
    }
    let digest = digest(&input);
    if let Some(existing) = db::by_key(&s.pool, input.household_id, &input.idempotency_key).await? {
        return replay(&s, existing, &digest).await;
    }
    let period = domain::check_period(&input.period, chrono::Utc::now(), &s.limits)?;
    let vehicle: VehicleData = match s
        .inventory
        .get(
            &routes::inventory::vehicle(input.vehicle_id),
            &Caller::service(crate::NAME),
        )
        .await
    {
        Ok(v) => v,
        Err(e) if e.is_not_found() => return Err(unavailable_vehicle()),
        Err(e) => return Err(service_down(e)),
    };
    if vehicle.status != VehicleStatus::Available {
        return Err(unavailable_vehicle());
    }
    let (base, first_base) = domain::price(&Prices::from(&vehicle), &period).ok_or_else(|| {
        ApiError::unprocessable(
            ErrorCode::PriceUnavailable,
            format!("This vehicle has no price for a {}", input.period.kind.to_lowercase()),
        )
        .with_field(["kind"])
    })?;
    let (offered, overlap) = tokio::join!(
        offered_in(&s, &vehicle, membership.council_id),
        db::overlaps(&s.pool, vehicle.id, period.start, period.end)
    );
    if !offered? {
        return Err(unavailable_vehicle());
    }
    if overlap? {
        return Err(slot_unavailable());
    }
    // Before the quote, which records a decision: a refusal here writes nothing anywhere.
    let is_hire = period.lease_months.is_none();
    let load = db::household_load(&s.pool, input.household_id, period.start, period.end).await?;
    if let Err(refusal) = s.limits.check_household(load, is_hire) {
        // The vehicle is named first: a slot taken since the read above
        // (perhaps by this household) is still SLOT_UNAVAILABLE.
        if db::overlaps(&s.pool, vehicle.id, period.start, period.end).await? {
            return Err(slot_unavailable());
        }
        return Err(refusal);
    }
    let (subsidy, zone_ids) = quote(&s, input.household_id, &input.period, base).await?;
    let (subsidy_pence, first_subsidy) = match (&subsidy, period.lease_months) {
        (None, _) => (Pence::ZERO, Pence::ZERO),
        (Some(q), None) => (q.amount_pence, q.amount_pence),
        (Some(q), Some(_)) => (q.amount_pence, q.per_month_pence.unwrap_or(Pence::ZERO).min(first_base)),
    };
    let id = Uuid::new_v4();
    let first_step = if subsidy_pence > Pence::ZERO {
        SagaStep::HoldBudget
    } else {
        SagaStep::Charge
    };
    let mut tx = s.pool.begin().await?;
    db::lock_household(&mut tx, input.household_id).await?;
    // Under the lock: the same key sent twice at once is a replay, not a second booking.
    if let Some(existing) = db::by_key(&mut *tx, input.household_id, &input.idempotency_key).await? {
        drop(tx);
        return replay(&s, existing, &digest).await;
    }
    if db::overlaps(&mut *tx, vehicle.id, period.start, period.end).await? {
        return Err(slot_unavailable());
    }
    let load = db::household_load(&mut *tx, input.household_id, period.start, period.end).await?;
    s.limits.check_household(load, is_hire)?;
    let inserted = db::insert(
        &mut *tx,
        &db::NewBooking {
            id,
            household_id: input.household_id,
            council_id: membership.council_id,
            provider_id: vehicle.provider_id,
            vehicle_id: vehicle.id,
            kind: if period.lease_months.is_some() {
                BookingKind::Lease
            } else {
                BookingKind::Hire
            },
            lease_months: period.lease_months,
            start: period.start,
            end: period.end,
            step: first_step,
            currency: &vehicle.currency,
            base_pence: base,
            subsidy_pence,
            first_base_pence: first_base,
            first_subsidy_pence: first_subsidy,
            scheme_id: subsidy.as_ref().map(|q| q.scheme_id),
            scheme_version: subsidy.as_ref().map(|q| q.scheme_version),
            payment_method: input.payment_method.as_deref(),
            idempotency_key: &input.idempotency_key,
            request_digest: &digest,
            zone_ids: &zone_ids,
        },
        s.claim.as_secs_f64(),
    )
    .await;
    let inserted = match inserted {
        Ok(()) => tx.commit().await,
        Err(e) => Err(e),
    };
    match inserted {
        Ok(()) => {}
        Err(e) => {
            return match violated_constraint(&e) {
                Some("bookings_no_overlap") => Err(slot_unavailable()),
                Some("bookings_idempotency_key") => {
                    let existing = db::by_key(&s.pool, input.household_id, &input.idempotency_key)
                        .await?
                        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("idempotent booking vanished")))?;
                    replay(&s, existing, &digest).await
                }
                _ => Err(e.into()),
            }
        }
    }
    let b = saga::drive(&s, id, true)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("booking vanished")))?;
    Ok(Json(b.into()))
}

/// The same key again: the same booking (driven on if it is still going),
/// or a conflict when the request differs.
async fn replay(s: &AppState, existing: BookingRow, digest: &str) -> ApiResult<Json<BookingData>> {
    if existing.request_digest != digest {
        return Err(ApiError::conflict(
            ErrorCode::IdempotencyConflict,
            "This idempotency key was used for a different booking request",
        )
        .with_field(["idempotencyKey"]));
    }
    let b = if existing.step == SagaStep::Done {
        existing
    } else {
        saga::drive(s, existing.id, false).await?.unwrap_or(existing)
    };
    Ok(Json(b.into()))
}

/// Whether inventory offers the vehicle in the council: a geo search around
/// the vehicle's own place, in the council, must return it (its provider
/// approved there and the vehicle inside the boundary).
async fn offered_in(s: &AppState, v: &VehicleData, council_id: Uuid) -> ApiResult<bool> {
    let body = SearchIn {
        council_id,
        lat: v.lat,
        lon: v.lon,
        radius_km: Some(0.05),
        limit: Some(500),
        seats: None,
        wheelchair_accessible: None,
        electric_only: None,
        kind: Some(v.kind.to_string()),
    };
    match s
        .inventory
        .post::<_, SearchResults>(routes::inventory::VEHICLES_SEARCH, &body, &Caller::service(crate::NAME))
        .await
    {
        Ok(h) => Ok(h.results.iter().any(|h| h.vehicle.id == v.id)),
        Err(e @ ClientError::Refused { .. }) => {
            tracing::info!(error = %e, "search refused while checking a vehicle's council");
            Ok(false)
        }
        Err(e) => Err(service_down(e)),
    }
}

/// The best subsidy for one base price, and the zones the household lives in.
async fn quote(
    s: &AppState,
    household_id: Uuid,
    p: &PeriodIn,
    base: Pence,
) -> ApiResult<(Option<SubsidyData>, Vec<Uuid>)> {
    let body = QuoteIn {
        household_id,
        kind: p.kind.clone(),
        lease_months: p.lease_months,
        base_prices: vec![base],
    };
    match s
        .eligibility
        .post::<_, QuoteData>(routes::eligibility::SUBSIDY_QUOTE, &body, &Caller::service(crate::NAME))
        .await
    {
        Ok(q) => Ok((q.quotes.into_iter().next().and_then(|q| q.subsidy), q.zone_ids)),
        // No profile yet: no subsidy, no zone.
        Err(e) if e.is_not_found() => Ok((None, Vec::new())),
        Err(e) => Err(service_down(e)),
    }
}
