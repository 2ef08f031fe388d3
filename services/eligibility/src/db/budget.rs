//! The `budget_allocations` table: budget held or committed per booking.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AllocationRow {
    pub booking_id: Uuid,
    pub line_id: Uuid,
    pub scheme_id: Uuid,
    pub household_id: Option<Uuid>,
    pub amount_pence: i64,
    pub state: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AllocationRow {
    /// A hold whose time has passed no longer counts against the budget.
    pub fn is_lapsed(&self, now: DateTime<Utc>) -> bool {
        self.state == "HELD" && self.expires_at.is_some_and(|e| e <= now)
    }
}

const COLUMNS: &str =
    "booking_id, line_id, scheme_id, household_id, amount_pence, state, expires_at, created_at, updated_at";

pub async fn get(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Option<AllocationRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from budget_allocations where booking_id = $1"
    ))
    .bind(booking_id)
    .fetch_optional(db)
    .await
}

/// Committed plus live holds of a line, leaving out one booking.
pub async fn used_by_others(db: impl PgExecutor<'_>, line_id: Uuid, booking_id: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select coalesce(sum(amount_pence), 0)::bigint from budget_allocations
         where line_id = $1 and booking_id <> $2
           and (state = 'COMMITTED' or (state = 'HELD' and expires_at > now()))",
    )
    .bind(line_id)
    .bind(booking_id)
    .fetch_one(db)
    .await
}

pub struct NewAllocation {
    pub booking_id: Uuid,
    pub line_id: Uuid,
    pub scheme_id: Uuid,
    pub household_id: Option<Uuid>,
    pub amount_pence: i64,
    pub state: &'static str,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts or replaces (a lapsed hold) the booking's allocation.
pub async fn put(db: impl PgExecutor<'_>, a: &NewAllocation) -> sqlx::Result<AllocationRow> {
    sqlx::query_as(&format!(
        "insert into budget_allocations (booking_id, line_id, scheme_id, household_id, amount_pence, state, expires_at)
         values ($1, $2, $3, $4, $5, $6, $7)
         on conflict (booking_id) do update set line_id = excluded.line_id, scheme_id = excluded.scheme_id,
            household_id = excluded.household_id, amount_pence = excluded.amount_pence, state = excluded.state,
            expires_at = excluded.expires_at, updated_at = now()
         returning {COLUMNS}"
    ))
    .bind(a.booking_id)
    .bind(a.line_id)
    .bind(a.scheme_id)
    .bind(a.household_id)
    .bind(a.amount_pence)
    .bind(a.state)
    .bind(a.expires_at)
    .fetch_one(db)
    .await
}

/// Moves an allocation to `state` (COMMITTED or RELEASED).
pub async fn set_state(db: impl PgExecutor<'_>, booking_id: Uuid, state: &str) -> sqlx::Result<AllocationRow> {
    sqlx::query_as(&format!(
        "update budget_allocations set state = $2, expires_at = null, updated_at = now()
         where booking_id = $1 returning {COLUMNS}"
    ))
    .bind(booking_id)
    .bind(state)
    .fetch_one(db)
    .await
}
