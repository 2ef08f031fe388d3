//! The `scheme_lines`, `schemes` and `scheme_test_cases` tables.

use chrono::{DateTime, Utc};
use roundabout_api::{
    eligibility::TestCaseData,
    states::{BookingKind, SchemeStatus},
    Pence,
};
use roundabout_support::subsidy::SchemeTerms;
use sqlx::{types::Json, PgExecutor};
use uuid::Uuid;

use crate::domain::{evaluate::Criterion, scheme::SchemeContent};

/// A scheme version with its budget position.
#[derive(Debug, Clone)]
pub struct SchemeRow {
    pub id: Uuid,
    pub line_id: Uuid,
    pub council_id: Uuid,
    pub version: i32,
    pub name: String,
    pub description: String,
    pub status: SchemeStatus,
    pub zone_ids: Vec<Uuid>,
    pub criteria: Json<Vec<Criterion>>,
    pub percent_basis_points: i32,
    pub cap_per_booking_pence: Option<Pence>,
    pub applies_to: Vec<BookingKind>,
    pub budget_pence: Pence,
    pub effective_from: Option<DateTime<Utc>>,
    pub effective_to: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Committed against the scheme (all versions).
    pub committed_pence: Pence,
    /// Held and not yet expired (all versions).
    pub held_pence: Pence,
}

impl SchemeRow {
    /// What is left of this version's budget after commitments and live holds.
    pub fn remaining_pence(&self) -> Pence {
        (self.budget_pence - self.committed_pence - self.held_pence).at_least_zero()
    }

    /// What this version pays towards a booking, for bookings' offers.
    pub fn terms(&self) -> SchemeTerms {
        SchemeTerms {
            scheme_id: self.id,
            scheme_version: self.version,
            scheme_name: self.name.clone(),
            percent_basis_points: self.percent_basis_points,
            cap_per_booking_pence: self.cap_per_booking_pence,
            remaining_pence: self.remaining_pence(),
        }
    }

    /// Whether the version is ACTIVE and its period contains `now`.
    pub fn in_effect(&self, now: DateTime<Utc>) -> bool {
        self.status == SchemeStatus::Active
            && self.effective_from.is_some_and(|f| f <= now)
            && self.effective_to.is_none_or(|t| t > now)
    }
}

pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        r#"select s.id, s.line_id, s.council_id, s.version, s.name, s.description, s.status as "status: SchemeStatus",
                  s.zone_ids, s.criteria as "criteria: Json<Vec<Criterion>>", s.percent_basis_points,
                  s.cap_per_booking_pence as "cap_per_booking_pence: Pence", s.applies_to as "applies_to: Vec<BookingKind>",
                  s.budget_pence as "budget_pence: Pence",
                  s.effective_from, s.effective_to, s.published_at, s.created_at, s.updated_at,
                  coalesce(a.committed, 0)::bigint as "committed_pence!: Pence",
                  coalesce(a.held, 0)::bigint as "held_pence!: Pence"
           from schemes s
           left join lateral (
               select l.committed_pence as committed,
                      (select sum(b.amount_pence) from budget_allocations b
                       where b.line_id = s.line_id and b.state = 'HELD' and b.expires_at > now()) as held
               from scheme_lines l where l.id = s.line_id
           ) a on true
           where s.id = $1"#,
        id,
    )
    .fetch_optional(db)
    .await
}

pub async fn get_many(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        r#"select s.id, s.line_id, s.council_id, s.version, s.name, s.description, s.status as "status: SchemeStatus",
                  s.zone_ids, s.criteria as "criteria: Json<Vec<Criterion>>", s.percent_basis_points,
                  s.cap_per_booking_pence as "cap_per_booking_pence: Pence", s.applies_to as "applies_to: Vec<BookingKind>",
                  s.budget_pence as "budget_pence: Pence",
                  s.effective_from, s.effective_to, s.published_at, s.created_at, s.updated_at,
                  coalesce(a.committed, 0)::bigint as "committed_pence!: Pence",
                  coalesce(a.held, 0)::bigint as "held_pence!: Pence"
           from schemes s
           left join lateral (
               select l.committed_pence as committed,
                      (select sum(b.amount_pence) from budget_allocations b
                       where b.line_id = s.line_id and b.state = 'HELD' and b.expires_at > now()) as held
               from scheme_lines l where l.id = s.line_id
           ) a on true
           where s.id = any($1) order by s.name, s.version"#,
        ids,
    )
    .fetch_all(db)
    .await
}

/// A council's schemes, optionally of one status.
pub async fn of_council(
    db: impl PgExecutor<'_>,
    council_id: Uuid,
    status: Option<SchemeStatus>,
) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        r#"select s.id, s.line_id, s.council_id, s.version, s.name, s.description, s.status as "status: SchemeStatus",
                  s.zone_ids, s.criteria as "criteria: Json<Vec<Criterion>>", s.percent_basis_points,
                  s.cap_per_booking_pence as "cap_per_booking_pence: Pence", s.applies_to as "applies_to: Vec<BookingKind>",
                  s.budget_pence as "budget_pence: Pence",
                  s.effective_from, s.effective_to, s.published_at, s.created_at, s.updated_at,
                  coalesce(a.committed, 0)::bigint as "committed_pence!: Pence",
                  coalesce(a.held, 0)::bigint as "held_pence!: Pence"
           from schemes s
           left join lateral (
               select l.committed_pence as committed,
                      (select sum(b.amount_pence) from budget_allocations b
                       where b.line_id = s.line_id and b.state = 'HELD' and b.expires_at > now()) as held
               from scheme_lines l where l.id = s.line_id
           ) a on true
           where s.council_id = $1 and ($2::text is null or s.status = $2) order by s.name, s.version"#,
        council_id,
        status.map(SchemeStatus::as_str),
    )
    .fetch_all(db)
    .await
}

/// ACTIVE versions of a council whose period contains now.
pub async fn in_effect(db: impl PgExecutor<'_>, council_id: Uuid) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        r#"select s.id, s.line_id, s.council_id, s.version, s.name, s.description, s.status as "status: SchemeStatus",
                  s.zone_ids, s.criteria as "criteria: Json<Vec<Criterion>>", s.percent_basis_points,
                  s.cap_per_booking_pence as "cap_per_booking_pence: Pence", s.applies_to as "applies_to: Vec<BookingKind>",
                  s.budget_pence as "budget_pence: Pence",
                  s.effective_from, s.effective_to, s.published_at, s.created_at, s.updated_at,
                  coalesce(a.committed, 0)::bigint as "committed_pence!: Pence",
                  coalesce(a.held, 0)::bigint as "held_pence!: Pence"
           from schemes s
           left join lateral (
               select l.committed_pence as committed,
                      (select sum(b.amount_pence) from budget_allocations b
                       where b.line_id = s.line_id and b.state = 'HELD' and b.expires_at > now()) as held
               from scheme_lines l where l.id = s.line_id
           ) a on true
           where s.council_id = $1 and s.status = 'ACTIVE' and s.effective_from <= now()
             and (s.effective_to is null or s.effective_to > now()) order by s.name, s.version"#,
        council_id,
    )
    .fetch_all(db)
    .await
}

pub async fn insert_line(db: impl PgExecutor<'_>, id: Uuid, council_id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into scheme_lines (id, council_id) values ($1, $2)",
        id,
        council_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Locks a scheme line (its lifecycle and budget) for the transaction.
pub async fn lock_line(db: impl PgExecutor<'_>, line_id: Uuid) -> sqlx::Result<Pence> {
    sqlx::query_scalar!(
        r#"select budget_pence as "budget_pence: Pence" from scheme_lines where id = $1 for update"#,
        line_id
    )
    .fetch_one(db)
    .await
}

pub async fn set_line_budget(db: impl PgExecutor<'_>, line_id: Uuid, budget: Pence) -> sqlx::Result<()> {
    sqlx::query!(
        "update scheme_lines set budget_pence = $2 where id = $1",
        line_id,
        budget.get()
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Inserts a DRAFT version.
pub async fn insert_version(
    db: impl PgExecutor<'_>,
    id: Uuid,
    line_id: Uuid,
    version: i32,
    c: &SchemeContent,
) -> sqlx::Result<()> {
    let applies_to: Vec<&str> = c.applies_to.iter().map(|k| k.as_str()).collect();
    sqlx::query!(
        "insert into schemes (id, line_id, council_id, version, name, description, status, zone_ids, criteria,
            percent_basis_points, cap_per_booking_pence, applies_to, budget_pence, effective_from, effective_to)
         values ($1, $2, $3, $4, $5, $6, 'DRAFT', $7, $8, $9, $10, $11, $12, $13, $14)",
        id,
        line_id,
        c.council_id,
        version,
        c.name,
        c.description,
        &c.zone_ids,
        Json(&c.criteria) as _,
        c.percent_basis_points,
        c.cap_per_booking_pence.map(Pence::get),
        &applies_to as &[&str],
        c.budget_pence.get(),
        c.effective_from,
        c.effective_to,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces a DRAFT version's content; false when it is not a draft.
pub async fn update_draft(db: impl PgExecutor<'_>, id: Uuid, c: &SchemeContent) -> sqlx::Result<bool> {
    let applies_to: Vec<&str> = c.applies_to.iter().map(|k| k.as_str()).collect();
    let done = sqlx::query!(
        "update schemes set name = $2, description = $3, zone_ids = $4, criteria = $5, percent_basis_points = $6,
            cap_per_booking_pence = $7, applies_to = $8, budget_pence = $9, effective_from = $10,
            effective_to = $11, updated_at = now()
         where id = $1 and status = 'DRAFT'",
        id,
        c.name,
        c.description,
        &c.zone_ids,
        Json(&c.criteria) as _,
        c.percent_basis_points,
        c.cap_per_booking_pence.map(Pence::get),
        &applies_to as &[&str],
        c.budget_pence.get(),
        c.effective_from,
        c.effective_to,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets status and period of a version.
pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: SchemeStatus,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update schemes set status = $2, effective_from = $3, effective_to = $4, updated_at = now(),
            published_at = case when $2 = 'ACTIVE' then coalesce(published_at, now()) else published_at end
         where id = $1",
        id,
        status.as_str(),
        from,
        to,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The published versions of a line, newest first.
pub async fn published_of_line(db: impl PgExecutor<'_>, line_id: Uuid) -> sqlx::Result<Vec<SchemeRow>> {
    sqlx::query_as!(
        SchemeRow,
        r#"select s.id, s.line_id, s.council_id, s.version, s.name, s.description, s.status as "status: SchemeStatus",
                  s.zone_ids, s.criteria as "criteria: Json<Vec<Criterion>>", s.percent_basis_points,
                  s.cap_per_booking_pence as "cap_per_booking_pence: Pence", s.applies_to as "applies_to: Vec<BookingKind>",
                  s.budget_pence as "budget_pence: Pence",
                  s.effective_from, s.effective_to, s.published_at, s.created_at, s.updated_at,
                  coalesce(a.committed, 0)::bigint as "committed_pence!: Pence",
                  coalesce(a.held, 0)::bigint as "held_pence!: Pence"
           from schemes s
           left join lateral (
               select l.committed_pence as committed,
                      (select sum(b.amount_pence) from budget_allocations b
                       where b.line_id = s.line_id and b.state = 'HELD' and b.expires_at > now()) as held
               from scheme_lines l where l.id = s.line_id
           ) a on true
           where s.line_id = $1 and s.status <> 'DRAFT' order by s.version desc"#,
        line_id,
    )
    .fetch_all(db)
    .await
}

pub async fn latest_version(db: impl PgExecutor<'_>, line_id: Uuid) -> sqlx::Result<i32> {
    sqlx::query_scalar!(
        r#"select max(version) as "max!" from schemes where line_id = $1"#,
        line_id
    )
    .fetch_one(db)
    .await
}

/// A test case as stored; the API shows it as [`TestCaseData`].
#[derive(Debug, Clone)]
pub struct TestCaseRow {
    pub id: Uuid,
    pub scheme_id: Uuid,
    pub name: String,
    pub facts: serde_json::Value,
    pub expect_eligible: bool,
    pub last_result: Option<bool>,
    pub created_at: DateTime<Utc>,
}

impl From<TestCaseRow> for TestCaseData {
    fn from(t: TestCaseRow) -> Self {
        Self {
            id: t.id,
            scheme_id: t.scheme_id,
            name: t.name,
            facts: t.facts,
            expect_eligible: t.expect_eligible,
            last_result: t.last_result,
            created_at: t.created_at,
        }
    }
}

pub async fn test_cases(db: impl PgExecutor<'_>, scheme_id: Uuid) -> sqlx::Result<Vec<TestCaseRow>> {
    sqlx::query_as!(
        TestCaseRow,
        "select id, scheme_id, name, facts, expect_eligible, last_result, created_at
         from scheme_test_cases where scheme_id = $1 order by created_at, id",
        scheme_id,
    )
    .fetch_all(db)
    .await
}

pub async fn insert_test_case(
    db: impl PgExecutor<'_>,
    scheme_id: Uuid,
    name: &str,
    facts: &serde_json::Value,
    expect_eligible: bool,
    last_result: Option<bool>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into scheme_test_cases (id, scheme_id, name, facts, expect_eligible, last_result)
         values ($1, $2, $3, $4, $5, $6)",
        Uuid::new_v4(),
        scheme_id,
        name,
        facts,
        expect_eligible,
        last_result,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_test_result(db: impl PgExecutor<'_>, id: Uuid, result: bool) -> sqlx::Result<()> {
    sqlx::query!(
        "update scheme_test_cases set last_result = $2 where id = $1",
        id,
        result
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a decision for audit.
pub async fn record_decision(
    db: impl PgExecutor<'_>,
    household_id: Uuid,
    scheme: &SchemeRow,
    eligible: bool,
    reasons: &serde_json::Value,
    facts: Option<&serde_json::Value>,
    purpose: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into eligibility_decisions (household_id, scheme_id, scheme_version, eligible, reasons, facts, purpose)
         values ($1, $2, $3, $4, $5, $6, $7)",
        household_id,
        scheme.id,
        scheme.version,
        eligible,
        reasons,
        facts,
        purpose,
    )
    .execute(db)
    .await?;
    Ok(())
}
