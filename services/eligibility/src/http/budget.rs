//! The internal subsidy and budget API used by bookings.
//!
//! - `POST /internal/subsidy/quote`: the best single eligible scheme and its
//!   amount for each base price of a household's booking.
//! - `POST /internal/budget/hold`, `/commit`, `/release`: keyed by booking
//!   id and idempotent. Each runs in one transaction holding the scheme
//!   line's row lock, so committed plus live holds never exceed the budget
//!   whatever the concurrency.

use axum::{extract::State, routing::post, Json, Router};
use chrono::Utc;
use roundabout_api::states::{AllocationState, BookingKind};
use roundabout_api::ErrorCode;
use roundabout_support::{
    error::ValidJson,
    internal_auth::Caller,
    subsidy::{self, SchemeTerms},
    ApiError, ApiResult,
};

use crate::{
    db::{
        budget::{self, AllocationRow, NewAllocation},
        profiles,
        schemes::{self, SchemeRow},
    },
    http::{
        decisions::{decide, zone_names},
        profiles::visible_household,
    },
    AppState,
};
use roundabout_api::{
    eligibility::{QuoteData, QuoteIn, QuoteLineData, ReleaseIn, ReserveIn, SubsidyData},
    routes,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(routes::eligibility::SUBSIDY_QUOTE, post(quote))
        .route(routes::eligibility::BUDGET_HOLD, post(hold))
        .route(routes::eligibility::BUDGET_COMMIT, post(commit))
        .route(routes::eligibility::BUDGET_RELEASE, post(release))
}

/// Most prices one quote takes.
pub const MAX_QUOTE_PRICES: usize = 200;

/// `POST /internal/subsidy/quote`: services and the household itself.
async fn quote(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(q): ValidJson<QuoteIn>,
) -> ApiResult<Json<QuoteData>> {
    let household = visible_household(&s, &caller, q.household_id).await?;
    let kind: BookingKind = q
        .kind
        .parse()
        .map_err(|_| ApiError::invalid("kind", "The kind is HIRE or LEASE"))?;
    let months = match (kind, q.lease_months) {
        (BookingKind::Lease, Some(m)) if (1..=36).contains(&m) => Some(m),
        (BookingKind::Lease, _) => return Err(ApiError::invalid("leaseMonths", "A lease is 1 to 36 months")),
        _ => None,
    };
    if q.base_prices.len() > MAX_QUOTE_PRICES || q.base_prices.iter().any(|p| !(0..=100_000_000).contains(&p.0)) {
        return Err(ApiError::invalid(
            "basePrices",
            format!("At most {MAX_QUOTE_PRICES} prices, each from 0 to 100000000 pence"),
        ));
    }
    let profile = profiles::get(&s.pool, household.id).await?;
    let names = zone_names(&s, household.council_id).await?;
    let facts = profile.as_ref().map(|p| p.facts().to_json());
    let mut eligible = Vec::new();
    let mut tx = s.pool.begin().await?;
    for scheme in schemes::in_effect(&mut *tx, household.council_id).await? {
        if !scheme.applies_to.contains(&kind) {
            continue;
        }
        let (ok, reasons) = decide(&s.engine, &scheme, profile.as_ref(), &names)?;
        let stored = serde_json::to_value(&reasons).map_err(anyhow::Error::from)?;
        schemes::record_decision(&mut *tx, household.id, &scheme, ok, &stored, facts.as_ref(), "quote").await?;
        if ok {
            eligible.push(scheme);
        }
    }
    tx.commit().await?;
    let terms: Vec<SchemeTerms> = eligible.iter().map(SchemeRow::terms).collect();
    let quotes = q
        .base_prices
        .iter()
        .map(|&base| QuoteLineData {
            base_pence: base,
            subsidy: subsidy::best(&terms, base, months).map(|(amount, t)| SubsidyData {
                scheme_id: t.scheme_id,
                scheme_version: t.scheme_version,
                scheme_name: t.scheme_name.clone(),
                amount_pence: amount,
                per_month_pence: months.and_then(|m| amount.checked_div(i64::from(m))),
            }),
        })
        .collect();
    let zone_ids = profile.map(|p| p.zone_ids).unwrap_or_default();
    Ok(Json(QuoteData { quotes, zone_ids }))
}

fn services_only(caller: &Caller) -> ApiResult<()> {
    if caller.is_service() {
        Ok(())
    } else {
        Err(ApiError::forbidden("Only Roundabout's services move scheme budgets"))
    }
}

/// `POST /internal/budget/hold`: holds the amount until the configured time
/// passes. Repeating it answers the same hold; after a commit, the commit.
async fn hold(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(r): ValidJson<ReserveIn>,
) -> ApiResult<Json<AllocationRow>> {
    services_only(&caller)?;
    reserve(&s, r, AllocationState::Held).await.map(Json)
}

/// `POST /internal/budget/commit`: commits the booking's hold, or commits
/// directly when there is none. Repeating it answers the same commitment.
async fn commit(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(r): ValidJson<ReserveIn>,
) -> ApiResult<Json<AllocationRow>> {
    services_only(&caller)?;
    reserve(&s, r, AllocationState::Committed).await.map(Json)
}

fn conflict_if_different(existing: &AllocationRow, r: &ReserveIn) -> ApiResult<()> {
    let differs = r.scheme_id.is_some_and(|id| id != existing.scheme_id)
        || r.amount_pence.is_some_and(|a| a != existing.amount_pence);
    if differs {
        return Err(ApiError::conflict(
            ErrorCode::IdempotencyConflict,
            "This booking already has a different scheme or amount",
        ));
    }
    Ok(())
}

async fn reserve(s: &AppState, r: ReserveIn, target: AllocationState) -> ApiResult<AllocationRow> {
    if r.amount_pence.is_some_and(|a| !(1..=100_000_000_000).contains(&a.0)) {
        return Err(ApiError::invalid(
            "amountPence",
            "The amount must be a positive number of pence",
        ));
    }
    // Which line to lock: the existing allocation's, else the scheme's.
    let existing = budget::get(&s.pool, r.booking_id).await?;
    let scheme_id = match (&existing, r.scheme_id) {
        (Some(a), _) => a.scheme_id,
        (None, Some(id)) => id,
        (None, None) => return Err(ApiError::invalid("schemeId", "A scheme is needed for a new allocation")),
    };
    let scheme = schemes::get(&s.pool, scheme_id)
        .await?
        .ok_or_else(|| ApiError::not_found("No such scheme").with_field(["schemeId"]))?;
    let mut tx = s.pool.begin().await?;
    let budget_pence = schemes::lock_line(&mut *tx, scheme.line_id).await?;
    // Under the line lock this read is authoritative.
    let existing = budget::get(&mut *tx, r.booking_id).await?;
    let now = Utc::now();
    if let Some(a) = &existing {
        conflict_if_different(a, &r)?;
        match (a.state, target) {
            (AllocationState::Released, _) => {
                return Err(ApiError::conflict(
                    ErrorCode::InvalidState,
                    "This booking's subsidy was released",
                ));
            }
            (AllocationState::Committed, _) => return Ok(a.clone()),
            (AllocationState::Held, AllocationState::Held) if !a.is_lapsed(now) => return Ok(a.clone()),
            (AllocationState::Held, AllocationState::Committed) if !a.is_lapsed(now) => {
                let row = budget::set_state(&mut *tx, r.booking_id, AllocationState::Committed).await?;
                tx.commit().await?;
                return Ok(row);
            }
            // A lapsed hold counts as nothing: check the budget again below.
            _ => {}
        }
    }
    let amount = r
        .amount_pence
        .or(existing.as_ref().map(|a| a.amount_pence))
        .ok_or_else(|| ApiError::invalid("amountPence", "An amount is needed for a new allocation"))?;
    if existing.is_none() && !scheme.in_effect(now) {
        return Err(ApiError::conflict(
            ErrorCode::InvalidState,
            "The scheme is not in effect",
        ));
    }
    let used = budget::used_by_others(&mut *tx, scheme.line_id, r.booking_id).await?;
    if used + amount > budget_pence {
        return Err(ApiError::conflict(
            ErrorCode::BudgetExhausted,
            format!(
                "The scheme has {} pence left, not {}",
                (budget_pence - used).at_least_zero().get(),
                amount.get()
            ),
        ));
    }
    let expires_at =
        (target == AllocationState::Held).then(|| now + chrono::Duration::from_std(s.budget_hold).unwrap_or_default());
    let row = budget::put(
        &mut *tx,
        &NewAllocation {
            booking_id: r.booking_id,
            line_id: scheme.line_id,
            scheme_id: scheme.id,
            household_id: r.household_id.or(existing.as_ref().and_then(|a| a.household_id)),
            amount_pence: amount,
            state: target,
            expires_at,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// `POST /internal/budget/release`: gives the booking's hold or commitment
/// back to the budget. Idempotent; null when the booking never had one.
async fn release(
    State(s): State<AppState>,
    caller: Caller,
    ValidJson(r): ValidJson<ReleaseIn>,
) -> ApiResult<Json<Option<AllocationRow>>> {
    services_only(&caller)?;
    let Some(existing) = budget::get(&s.pool, r.booking_id).await? else {
        return Ok(Json(None));
    };
    let mut tx = s.pool.begin().await?;
    schemes::lock_line(&mut *tx, existing.line_id).await?;
    let row = match budget::get(&mut *tx, r.booking_id).await? {
        Some(a) if a.state == AllocationState::Released => a,
        Some(_) => budget::set_state(&mut *tx, r.booking_id, AllocationState::Released).await?,
        None => return Ok(Json(None)),
    };
    tx.commit().await?;
    Ok(Json(Some(row)))
}
