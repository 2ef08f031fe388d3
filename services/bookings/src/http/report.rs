//! `GET /internal/councils/{id}/report?from=&to=`: a council's bookings made
//! in `[from, to)` — officers of that council and admins.
//!
//! Counted: bookings that were confirmed (CONFIRMED, ACTIVE, COMPLETED, or
//! CANCELLED after payment). Gross is their whole price; subsidy what the
//! schemes still pay (a cancellation releases it in full); household paid
//! the first payments taken; refunded what cancellations gave back.

use axum::{
    extract::{Path, Query, State},
    routing::get,
    Json, Router,
};
use chrono::{DateTime, Utc};
use roundabout_support::{internal_auth::Caller, ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/internal/councils/{id}/report", get(report))
}

#[derive(Debug, Deserialize)]
pub struct ReportIn {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Totals {
    pub bookings: i64,
    pub households: i64,
    pub gross_pence: i64,
    pub subsidy_pence: i64,
    pub household_paid_pence: i64,
    pub refunded_pence: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct SchemeLine {
    pub scheme_id: Uuid,
    pub bookings: i64,
    pub subsidy_pence: i64,
}

#[derive(Debug, Serialize)]
pub struct ReportOut {
    #[serde(flatten)]
    pub totals: Totals,
    pub by_scheme: Vec<SchemeLine>,
}

const COUNTED: &str = "council_id = $1 and created_at >= $2 and created_at < $3
    and (status in ('CONFIRMED', 'ACTIVE', 'COMPLETED')
         or (status = 'CANCELLED' and payment_status in ('CAPTURED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'NOT_REQUIRED')))";

async fn report(
    State(s): State<AppState>,
    caller: Caller,
    Path(council): Path<Uuid>,
    Query(q): Query<ReportIn>,
) -> ApiResult<Json<ReportOut>> {
    caller.require_council_officer(council)?;
    if q.to <= q.from {
        return Err(ApiError::invalid("to", "`to` must be after `from`"));
    }
    let totals: Totals = sqlx::query_as(&format!(
        "select count(*) as bookings, count(distinct household_id) as households,
            coalesce(sum(base_pence), 0)::bigint as gross_pence,
            coalesce(sum(subsidy_pence) filter (where status <> 'CANCELLED'), 0)::bigint as subsidy_pence,
            coalesce(sum(first_base_pence - first_subsidy_pence), 0)::bigint as household_paid_pence,
            coalesce(sum(refund_pence) filter (where status = 'CANCELLED'), 0)::bigint as refunded_pence
         from bookings where {COUNTED}"
    ))
    .bind(council)
    .bind(q.from)
    .bind(q.to)
    .fetch_one(&s.pool)
    .await?;
    let by_scheme: Vec<SchemeLine> = sqlx::query_as(&format!(
        "select scheme_id, count(*) as bookings,
            coalesce(sum(subsidy_pence) filter (where status <> 'CANCELLED'), 0)::bigint as subsidy_pence
         from bookings where {COUNTED} and scheme_id is not null group by scheme_id order by scheme_id"
    ))
    .bind(council)
    .bind(q.from)
    .bind(q.to)
    .fetch_all(&s.pool)
    .await?;
    Ok(Json(ReportOut { totals, by_scheme }))
}
