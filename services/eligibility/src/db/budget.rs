//! The `budget_allocations` table: budget held or committed per booking,
//! and the budget position of every scheme line (for the metrics).

use chrono::{DateTime, Utc};
use roundabout_api::{states::AllocationState, Pence};
use serde::Serialize;
use sqlx::PgExecutor;
use uuid::Uuid;

/// A booking's allocation of a scheme line's budget (what the budget routes answer).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AllocationRow {
    pub booking_id: Uuid,
    pub line_id: Uuid,
    pub scheme_id: Uuid,
    pub household_id: Option<Uuid>,
    pub amount_pence: Pence,
    pub state: AllocationState,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl AllocationRow {
    /// A hold whose time has passed no longer counts against the budget.
    pub fn is_lapsed(&self, now: DateTime<Utc>) -> bool {
        self.state == AllocationState::Held && self.expires_at.is_some_and(|e| e <= now)
    }
}

pub async fn get(db: impl PgExecutor<'_>, booking_id: Uuid) -> sqlx::Result<Option<AllocationRow>> {
    sqlx::query_as!(
        AllocationRow,
        r#"select booking_id, line_id, scheme_id, household_id, amount_pence as "amount_pence: Pence", state as "state: AllocationState",
                  expires_at, created_at, updated_at
           from budget_allocations where booking_id = $1"#,
        booking_id,
    )
    .fetch_optional(db)
    .await
}

/// Committed plus live holds of a line, leaving out one booking: the
/// line's running committed total (kept by the `budget_allocations_publish`
/// trigger) and its live holds, never a sum over its whole history.
pub async fn used_by_others(db: impl PgExecutor<'_>, line_id: Uuid, booking_id: Uuid) -> sqlx::Result<Pence> {
    sqlx::query_scalar!(
        r#"select ((select committed_pence from scheme_lines where id = $1)
                   - coalesce((select amount_pence from budget_allocations
                               where booking_id = $2 and line_id = $1 and state = 'COMMITTED'), 0)
                   + coalesce((select sum(amount_pence) from budget_allocations
                               where line_id = $1 and booking_id <> $2 and state = 'HELD' and expires_at > now()), 0)
                  )::bigint as "used!: Pence""#,
        line_id,
        booking_id,
    )
    .fetch_one(db)
    .await
}

pub struct NewAllocation {
    pub booking_id: Uuid,
    pub line_id: Uuid,
    pub scheme_id: Uuid,
    pub household_id: Option<Uuid>,
    pub amount_pence: Pence,
    pub state: AllocationState,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts or replaces (a lapsed hold) the booking's allocation.
pub async fn put(db: impl PgExecutor<'_>, a: &NewAllocation) -> sqlx::Result<AllocationRow> {
    sqlx::query_as!(
        AllocationRow,
        r#"insert into budget_allocations (booking_id, line_id, scheme_id, household_id, amount_pence, state, expires_at)
           values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (booking_id) do update set line_id = excluded.line_id, scheme_id = excluded.scheme_id,
              household_id = excluded.household_id, amount_pence = excluded.amount_pence, state = excluded.state,
              expires_at = excluded.expires_at, updated_at = now()
           returning booking_id, line_id, scheme_id, household_id, amount_pence as "amount_pence: Pence", state as "state: AllocationState",
                     expires_at, created_at, updated_at"#,
        a.booking_id,
        a.line_id,
        a.scheme_id,
        a.household_id,
        a.amount_pence.get(),
        a.state.as_str(),
        a.expires_at,
    )
    .fetch_one(db)
    .await
}

/// Moves an allocation to `state` (COMMITTED or RELEASED).
pub async fn set_state(
    db: impl PgExecutor<'_>,
    booking_id: Uuid,
    state: AllocationState,
) -> sqlx::Result<AllocationRow> {
    sqlx::query_as!(
        AllocationRow,
        r#"update budget_allocations set state = $2, expires_at = null, updated_at = now()
           where booking_id = $1
           returning booking_id, line_id, scheme_id, household_id, amount_pence as "amount_pence: Pence", state as "state: AllocationState",
                     expires_at, created_at, updated_at"#,
        booking_id,
        state.as_str(),
    )
    .fetch_one(db)
    .await
}

/// A scheme line with a version in effect (ACTIVE or PAUSED): its budget
/// and what is committed and held against it.
#[derive(Debug, Clone)]
pub struct LinePosition {
    pub council_code: String,
    pub line_id: Uuid,
    /// The name of the line's latest version in effect.
    pub scheme_name: String,
    pub budget_pence: Pence,
    pub committed_pence: Pence,
    pub held_pence: Pence,
}

/// One row per scheme line with a version in effect: the line's running
/// committed total, and its live holds summed from budget_allocations_held_idx.
pub async fn line_positions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<LinePosition>> {
    sqlx::query_as!(
        LinePosition,
        r#"select c.code as council_code, l.id as line_id, s.name as scheme_name, l.budget_pence as "budget_pence: Pence",
                  l.committed_pence as "committed_pence!: Pence",
                  coalesce((select sum(a.amount_pence) from budget_allocations a
                            where a.line_id = l.id and a.state = 'HELD' and a.expires_at > now()), 0)::bigint
                      as "held_pence!: Pence"
           from scheme_lines l
           join councils c on c.id = l.council_id
           join lateral (select name from schemes
                         where line_id = l.id and status in ('ACTIVE', 'PAUSED')
                         order by version desc limit 1) s on true"#
    )
    .fetch_all(db)
    .await
}
