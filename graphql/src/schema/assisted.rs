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

use async_graphql::{Context, Object, ID};
use chrono::{DateTime, Utc};
use roundabout_api::ErrorCode;
use uuid::Uuid;

use crate::{
    accounts::assisted::{self as db, AssistedActionRow},
    connection_types,
    schema::{
        errors::{self},
        identity::Household,
        ids::parse_id,
        pagination::{check_first, decode_cursor},
        request::RequestCtx,
    },
    services::Gateway,
};

pub use super::acting::{AssistedActionKind, AssistedActionOutcome};

const HOUSEHOLD_CURSOR: &str = "household";
const AUDIT_CURSOR: &str = "assisted-action";

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
            ErrorCode::InvalidInput,
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
