//! The `erasures` table (a household's erasure, step by step) and what the
//! gateway itself holds about a household: its export and its erasure.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Where a household's erasure stands; each step is one part's work, done
/// in this order.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, sqlx::Type, Serialize)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErasureStep {
    /// Bookings that have not begun are being cancelled (and refunded).
    CancelBookings,
    /// What is personal is being removed from the household's bookings.
    Bookings,
    /// The card processor's customer and card details are being removed.
    Payments,
    /// The household's answers and eligibility decisions are being removed.
    Eligibility,
    /// The account itself (email, name, password, sign-ins) is being deleted.
    Account,
    /// Done: nothing joins what is kept back to the person.
    Done,
}

impl ErasureStep {
    pub fn next(self) -> Self {
        match self {
            Self::CancelBookings => Self::Bookings,
            Self::Bookings => Self::Payments,
            Self::Payments => Self::Eligibility,
            Self::Eligibility => Self::Account,
            Self::Account | Self::Done => Self::Done,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ErasureRow {
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    pub step: ErasureStep,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// Records the request (once: a second request changes nothing) and closes
/// the household's accounts: no sign-in from now on, every session ended.
/// Answers whether this call made the request.
pub async fn request(
    conn: &mut PgConnection,
    household_id: Uuid,
    council_id: Uuid,
    officer_user_id: Option<Uuid>,
) -> sqlx::Result<bool> {
    let new = sqlx::query!(
        "insert into erasures (household_id, council_id, requested_by, officer_user_id, step)
         values ($1, $2, $3, $4, 'CANCEL_BOOKINGS') on conflict (household_id) do nothing",
        household_id,
        council_id,
        if officer_user_id.is_some() {
            "OFFICER"
        } else {
            "HOUSEHOLD"
        },
        officer_user_id,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    sqlx::query!(
        "update users set closed_at = coalesce(closed_at, now())
         where id in (select user_id from memberships where role = 'HOUSEHOLD' and household_id = $1)",
        household_id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "update sessions set ended_at = now()
         where ended_at is null
           and user_id in (select user_id from memberships where role = 'HOUSEHOLD' and household_id = $1)",
        household_id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(new)
}

pub async fn get(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Option<ErasureRow>> {
    sqlx::query_as!(
        ErasureRow,
        r#"select household_id, council_id, requested_by, requested_at, step as "step: ErasureStep", attempts,
            last_error, completed_at
         from erasures where household_id = $1"#,
        household_id,
    )
    .fetch_optional(db)
    .await
}

/// Claims the erasure due first for `lease_secs` (another replica skips it
/// meanwhile; if this one dies, the lease runs out and another goes on).
/// Answers the household, its step and the attempts made at it (this one included).
pub async fn claim(db: impl PgExecutor<'_>, lease_secs: f64) -> sqlx::Result<Option<(Uuid, ErasureStep, i32)>> {
    let row = sqlx::query!(
        r#"update erasures set next_attempt_at = now() + make_interval(secs => $1), attempts = attempts + 1
         where household_id = (
             select household_id from erasures
             where step <> 'DONE' and next_attempt_at <= now()
             order by next_attempt_at limit 1 for update skip locked)
         returning household_id, step as "step: ErasureStep", attempts"#,
        lease_secs,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.household_id, r.step, r.attempts)))
}

/// Records that `from` is done, if the erasure is still there.
pub async fn advance(db: impl PgExecutor<'_>, household_id: Uuid, from: ErasureStep) -> sqlx::Result<()> {
    let to = from.next();
    sqlx::query!(
        "update erasures set step = $3, attempts = 0, next_attempt_at = now(), last_error = null,
            completed_at = case when $3 = 'DONE' then now() end
         where household_id = $1 and step = $2",
        household_id,
        from as _,
        to as _,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Puts the step off for `delay_secs`, noting why.
pub async fn retry_later(
    db: impl PgExecutor<'_>,
    household_id: Uuid,
    step: ErasureStep,
    delay_secs: f64,
    why: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update erasures set next_attempt_at = now() + make_interval(secs => $3), last_error = $4
         where household_id = $1 and step = $2",
        household_id,
        step as _,
        delay_secs,
        why,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Erasures not done, for the readiness of the process (a metric).
pub async fn pending(db: impl PgExecutor<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(r#"select count(*) as "n!" from erasures where step <> 'DONE'"#)
        .fetch_one(db)
        .await
}

/// The gateway's own erasure step: the household's memberships go, and
/// with them every account that has no other membership (its email, name,
/// password hash and sessions); sign-in counts of those emails; the notes
/// on officers' actions for the household. The audit entries stay, naming
/// the household only by its id. Returns the rows removed or changed.
pub async fn erase_accounts(conn: &mut PgConnection, household_id: Uuid) -> sqlx::Result<u64> {
    // The household's last message, written while its addresses are still
    // known: the one message an erased household gets (its address is
    // removed once it is sent).
    crate::notify::erased::confirmation(conn, household_id).await?;
    let users: Vec<Uuid> = sqlx::query_scalar!(
        "select user_id from memberships where role = 'HOUSEHOLD' and household_id = $1",
        household_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut changed = sqlx::query!(
        "delete from sign_in_throttle where email in (select email from users where id = any($1))",
        &users,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    changed += sqlx::query!(
        "delete from memberships where role = 'HOUSEHOLD' and household_id = $1",
        household_id,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // Sessions go with their user (on delete cascade).
    changed += sqlx::query!(
        "delete from users u where u.id = any($1) and not exists (select 1 from memberships m where m.user_id = u.id)",
        &users,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    changed += crate::notify::db::erase_household(conn, household_id).await?;
    // A user kept for another membership (a provider's member, say) can sign in again.
    sqlx::query!("update users set closed_at = null where id = any($1)", &users)
        .execute(&mut *conn)
        .await?;
    changed += sqlx::query!(
        "update assisted_actions set detail = null where household_id = $1 and detail is not null",
        household_id,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(changed)
}

/// A household's account as its export shows it.
#[derive(Debug, Serialize)]
pub struct AccountRecord {
    pub email: String,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct MembershipRecord {
    pub email: String,
    pub role: String,
    pub council_id: Option<Uuid>,
    pub provider_id: Option<Uuid>,
    pub household_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize)]
pub struct SignInRecord {
    pub email: String,
    pub signed_in_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize)]
pub struct AssistedRecord {
    pub officer_name: String,
    pub action: String,
    pub target_id: Option<Uuid>,
    pub outcome: String,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn accounts(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<AccountRecord>> {
    sqlx::query_as!(
        AccountRecord,
        "select u.email, u.display_name, u.created_at, u.closed_at from users u
         where u.id in (select user_id from memberships where role = 'HOUSEHOLD' and household_id = $1)
         order by u.created_at",
        household_id,
    )
    .fetch_all(db)
    .await
}

/// Every membership of the household's accounts (a person may also be a
/// provider's member).
pub async fn memberships(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<MembershipRecord>> {
    sqlx::query_as!(
        MembershipRecord,
        "select u.email, m.role, m.council_id, m.provider_id, m.household_id, m.created_at
         from memberships m join users u on u.id = m.user_id
         where m.user_id in (select user_id from memberships where role = 'HOUSEHOLD' and household_id = $1)
         order by m.id",
        household_id,
    )
    .fetch_all(db)
    .await
}

pub async fn sign_ins(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<SignInRecord>> {
    sqlx::query_as!(
        SignInRecord,
        r#"select u.email, s.created_at as signed_in_at, s.expires_at, s.ended_at
         from sessions s join users u on u.id = s.user_id
         where s.user_id in (select user_id from memberships where role = 'HOUSEHOLD' and household_id = $1)
         order by s.created_at"#,
        household_id,
    )
    .fetch_all(db)
    .await
}

pub async fn assisted(db: impl PgExecutor<'_>, household_id: Uuid) -> sqlx::Result<Vec<AssistedRecord>> {
    sqlx::query_as!(
        AssistedRecord,
        "select officer_name, action, target_id, outcome, detail, at from assisted_actions
         where household_id = $1 order by id",
        household_id,
    )
    .fetch_all(db)
    .await
}
