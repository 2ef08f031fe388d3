//! Assisted booking: an officer of a household's council (or an admin) acts
//! for a household whose residents cannot use the web — reads and updates its
//! profile, searches offers, books and cancels for it.
//!
//! The gateway checks the officer administers the household's council, then
//! calls the services with [`Principal::assisting`]: the household's
//! membership with `assisted_by` naming the officer, so the services act as
//! for the household and know who really acted. Every assisted action is
//! written to the gateway's `assisted_actions` table: PENDING before the call
//! to the owning service, then marked with its outcome, so an action that
//! happened is never missing from the log. Officers read the log through
//! `Council.auditLog` and find households through `Council.households`.

use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use roundabout_support::internal_auth::{Caller, HouseholdMembership};
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    accounts::assisted::{self as db, AssistedActionRow},
    connection_types,
    principal::Principal,
    schema::{
        errors::{self, Failure},
        identity::Household,
        ids::parse_id,
        pagination::{check_first, decode_cursor},
        request::RequestCtx,
    },
    services::Gateway,
};
use roundabout_api::routes;

const HOUSEHOLD_CURSOR: &str = "household";
const AUDIT_CURSOR: &str = "assisted-action";

/// What an officer did for a household.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssistedActionKind {
    /// Read the household's profile.
    ProfileRead,
    /// Read the household's eligibility decisions (they quote its facts).
    EligibilityRead,
    /// Changed the household's profile.
    ProfileUpdate,
    /// Searched offers for the household.
    OffersSearch,
    /// Booked a vehicle for the household.
    Booking,
    /// Cancelled one of the household's bookings.
    Cancellation,
}

/// How an assisted action ended.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AssistedActionOutcome {
    /// Sent, outcome not recorded (the gateway stopped before it heard back).
    Pending,
    /// Done.
    Succeeded,
    /// Refused, with the reason's code in `detail`; nothing changed.
    Refused,
    /// A part of Roundabout failed; see the household's data for what happened.
    Failed,
}

impl AssistedActionOutcome {
    /// The outcome of an action that answered `r`.
    pub fn of<T>(r: &Result<T, Failure>) -> (Self, Option<String>) {
        match r {
            Ok(_) => (Self::Succeeded, None),
            Err(Failure::User(u)) => (Self::Refused, Some(u.code.clone())),
            Err(Failure::Fatal(e)) => {
                let code = e
                    .extensions
                    .as_ref()
                    .and_then(|x| x.get("code"))
                    .map(|v| v.to_string().trim_matches('"').to_string());
                match code.as_deref() {
                    Some("FORBIDDEN" | "UNAUTHENTICATED") => (Self::Refused, code),
                    _ => (Self::Failed, code),
                }
            }
        }
    }
}

/// Who an action is done for, and by whom.
pub struct Acting {
    /// The household acted for.
    pub household: HouseholdMembership,
    /// The identity to call services with.
    pub caller: Caller,
    /// The officer, when the household is not acting for itself.
    pub officer: Option<Principal>,
}

#[derive(Deserialize)]
struct HouseholdData {
    council_id: Uuid,
}

/// The household an action is for: the signed-in household itself when
/// `household_id` is not given (or is its own), else a household of a
/// council the signed-in officer administers. Anyone else is `FORBIDDEN`
/// (`own_only` is the message for a user with no household at all).
pub async fn acting_for(ctx: &Context<'_>, household_id: Option<&ID>, own_only: &str) -> async_graphql::Result<Acting> {
    let r = RequestCtx::get(ctx);
    let p = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
    let Some(raw) = household_id else {
        let household = p.household.ok_or_else(|| errors::forbidden(own_only))?;
        return Ok(Acting {
            household,
            caller: p.caller(),
            officer: None,
        });
    };
    let wanted = parse_id(raw);
    if let Some(own) = p.household.filter(|h| Some(h.household_id) == wanted) {
        return Ok(Acting {
            household: own,
            caller: p.caller(),
            officer: None,
        });
    }
    let refuse = || {
        if p.household.is_some() && p.officer_of.is_empty() && !p.is_admin() {
            errors::forbidden("A household acts only for itself")
        } else {
            errors::forbidden("Only officers of the household's council may act for it")
        }
    };
    let Some(id) = wanted else { return Err(refuse()) };
    if p.officer_of.is_empty() && !p.is_admin() {
        return Err(refuse());
    }
    let g = ctx.data_unchecked::<Gateway>();
    // Eligibility answers a household only to officers of its council.
    let h: HouseholdData = match g
        .services
        .eligibility
        .get(&routes::eligibility::household(id), &p.caller())
        .await
    {
        Ok(h) => h,
        Err(e) if e.is_not_found() => return Err(refuse()),
        Err(e) => return Err(errors::read_error(e)),
    };
    if !p.caller().can_administer(h.council_id) {
        return Err(refuse());
    }
    let household = HouseholdMembership {
        household_id: id,
        council_id: h.council_id,
    };
    Ok(Acting {
        household,
        caller: p.assisting(household),
        officer: Some(p.clone()),
    })
}

/// An audit entry written before an assisted action.
pub struct AuditEntry {
    id: i64,
}

/// Records, before it is sent, that `officer` does `action` for `household`.
pub async fn record(
    pool: &PgPool,
    officer: &Principal,
    household: HouseholdMembership,
    action: AssistedActionKind,
    target: Option<Uuid>,
) -> sqlx::Result<AuditEntry> {
    let id = db::insert(
        pool,
        officer.user_id,
        &officer.name(),
        household.council_id,
        household.household_id,
        action,
        target,
    )
    .await?;
    Ok(AuditEntry { id })
}

impl AuditEntry {
    /// Marks the action's outcome. The action has happened by now: a failure
    /// to mark it is logged and leaves the entry PENDING.
    pub async fn finish(
        self,
        pool: &PgPool,
        outcome: AssistedActionOutcome,
        target: Option<Uuid>,
        detail: Option<String>,
    ) {
        let done = db::finish(pool, self.id, outcome, target, detail.as_deref()).await;
        if let Err(e) = done {
            tracing::error!(error = %e, entry = self.id, "could not mark an assisted action's outcome");
        }
    }
}

/// Runs `action` for `acting`, recording it first when an officer acts.
/// `target` picks the target id out of a success.
pub async fn audited<T, F>(
    ctx: &Context<'_>,
    acting: &Acting,
    kind: AssistedActionKind,
    target: Option<Uuid>,
    action: F,
    result_target: impl FnOnce(&T) -> (Option<Uuid>, Option<(AssistedActionOutcome, String)>),
) -> Result<T, Failure>
where
    F: std::future::Future<Output = Result<T, Failure>>,
{
    let Some(officer) = &acting.officer else {
        return action.await;
    };
    let g = ctx.data_unchecked::<Gateway>();
    let entry = record(&g.pool, officer, acting.household, kind, target).await?;
    let r = action.await;
    let (mut outcome, mut detail) = AssistedActionOutcome::of(&r);
    let mut found = None;
    if let Ok(v) = &r {
        let (t, over) = result_target(v);
        found = t;
        if let Some((o, d)) = over {
            outcome = o;
            detail = Some(d);
        }
    }
    entry.finish(&g.pool, outcome, found, detail).await;
    r
}

/// Something an officer did for a household, as the audit log keeps it.
#[derive(Clone)]
pub struct AssistedAction(AssistedActionRow);

#[Object]
impl AssistedAction {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The officer's user id.
    async fn officer_id(&self) -> ID {
        ID(self.0.officer_user_id.to_string())
    }

    /// The officer's name (or email) when they acted.
    async fn officer_name(&self) -> &str {
        &self.0.officer_name
    }

    /// The household acted for.
    async fn household(&self) -> Household {
        Household {
            id: self.0.household_id,
            council_id: self.0.council_id,
        }
    }

    /// What was done.
    async fn action(&self) -> AssistedActionKind {
        self.0.action
    }

    /// The booking booked or cancelled; null for the other actions.
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.map(|t| ID(t.to_string()))
    }

    /// How it ended.
    async fn outcome(&self) -> AssistedActionOutcome {
        self.0.outcome
    }

    /// The refusal's code, or a short note on the result.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }

    /// When the officer acted.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// When the outcome was recorded; null while PENDING.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
}

connection_types!(AssistedActionConnection, AssistedActionEdge, AssistedAction);
connection_types!(HouseholdConnection, HouseholdEdge, Household);

fn require_officer(ctx: &Context<'_>, council_id: Uuid) -> async_graphql::Result<()> {
    let r = RequestCtx::get(ctx);
    r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
    if r.session.caller().can_administer(council_id) {
        Ok(())
    } else {
        Err(errors::forbidden("Only officers of this council may do this"))
    }
}

/// `Council.auditLog`: newest first; officers of the council and admins.
pub async fn audit_log(
    ctx: &Context<'_>,
    council_id: Uuid,
    household_id: Option<ID>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<AssistedActionConnection> {
    require_officer(ctx, council_id)?;
    let first = check_first(first.unwrap_or(20))?;
    let before = after
        .map(|c| decode_cursor(AUDIT_CURSOR, &c))
        .transpose()?
        .unwrap_or(i64::MAX);
    let household = match &household_id {
        Some(h) => match parse_id(h) {
            Some(id) => Some(id),
            None => return Ok(AssistedActionConnection::from_page(Vec::new(), AUDIT_CURSOR, false, 0)),
        },
        None => None,
    };
    let g = ctx.data_unchecked::<Gateway>();
    let rows = db::page(&g.pool, council_id, household, before, i64::from(first) + 1)
        .await
        .map_err(errors::internal)?;
    let total = db::count(&g.pool, council_id, household)
        .await
        .map_err(errors::internal)?;
    let more = rows.len() > first as usize;
    let items = rows
        .into_iter()
        .take(first as usize)
        .map(|r| (r.id, AssistedAction(r)))
        .collect();
    Ok(AssistedActionConnection::from_page(items, AUDIT_CURSOR, more, total))
}

/// The longest search text accepted.
const MAX_SEARCH: usize = 200;

/// A `like` pattern matching `text` anywhere, with its wildcards escaped.
fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// `Council.households`: the council's household accounts whose email or
/// name contains `search` (any case), in sign-up order; officers only.
pub async fn council_households(
    ctx: &Context<'_>,
    council_id: Uuid,
    search: Option<String>,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<HouseholdConnection> {
    require_officer(ctx, council_id)?;
    let first = check_first(first.unwrap_or(20))?;
    let after = after
        .map(|c| decode_cursor(HOUSEHOLD_CURSOR, &c))
        .transpose()?
        .unwrap_or(0);
    let search = search.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    if search.as_ref().is_some_and(|s| s.chars().count() > MAX_SEARCH) {
        return Err(errors::coded(
            "INVALID_INPUT",
            format!("The search must be at most {MAX_SEARCH} characters"),
        ));
    }
    let pattern = search.as_deref().map(contains_pattern);
    let g = ctx.data_unchecked::<Gateway>();
    let rows = db::households(&g.pool, council_id, pattern.as_deref(), after, i64::from(first) + 1)
        .await
        .map_err(errors::internal)?;
    let total = db::count_households(&g.pool, council_id, pattern.as_deref())
        .await
        .map_err(errors::internal)?;
    let more = rows.len() > first as usize;
    let items = rows
        .into_iter()
        .take(first as usize)
        .map(|(seq, id)| (seq, Household { id, council_id }))
        .collect();
    Ok(HouseholdConnection::from_page(items, HOUSEHOLD_CURSOR, more, total))
}

/// A household account's email and name, for the household itself and for
/// officers of its council (who need them to find and address it).
pub async fn household_contact(
    ctx: &Context<'_>,
    h: &Household,
) -> async_graphql::Result<Option<(String, Option<String>)>> {
    let r = RequestCtx::get(ctx);
    let Some(p) = r.session.0.as_ref() else { return Ok(None) };
    let own = p.household.is_some_and(|m| m.household_id == h.id);
    if !own && !p.caller().can_administer(h.council_id) {
        return Ok(None);
    }
    let g = ctx.data_unchecked::<Gateway>();
    db::household_contact(&g.pool, h.id).await.map_err(errors::internal)
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_wildcards_are_escaped() {
        assert_eq!(contains_pattern("ann"), "%ann%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
