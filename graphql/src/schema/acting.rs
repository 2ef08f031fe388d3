//! Who a resolver acts for: the signed-in household itself, or a household
//! an officer of its council acts for (assisted booking, see
//! [`super::assisted`]), and the audit entry every assisted action writes
//! before it is sent. Household resolvers (bookings, profiles, offers) call
//! [`acting_for`] and [`audited`]; this module imports no object module.

use async_graphql::{Context, Enum, ID};
use roundabout_api::ErrorCode;
use roundabout_support::internal_auth::{Caller, HouseholdMembership};
use sqlx::PgPool;
use uuid::Uuid;

use crate::{
    accounts::assisted as db,
    principal::Principal,
    schema::{
        errors::{self, Failure, UserError},
        ids::parse_id,
        request::RequestCtx,
    },
    services::Gateway,
};
use roundabout_api::{eligibility::HouseholdData, routes};

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
    /// Downloaded everything held about the household, at its request.
    DataExport,
    /// Asked for the household's account to be closed and its data erased.
    ErasureRequest,
    /// Changed how the household hears from Roundabout (email, text
    /// message or letter, and the phone or address).
    ContactUpdate,
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
                match code.as_deref().and_then(|c| c.parse::<ErrorCode>().ok()) {
                    Some(ErrorCode::Forbidden | ErrorCode::Unauthenticated) => (Self::Refused, code),
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

/// Refuses a change for a household whose account is closed (its erasure
/// asked for or done): a booking or answers given after the erasure's first
/// step would outlive it. Only an officer can still reach such a household.
pub async fn refuse_if_closed(ctx: &Context<'_>, acting: &Acting) -> Result<(), Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    if crate::accounts::erasures::get(&g.pool, acting.household.household_id)
        .await?
        .is_some()
    {
        return Err(Failure::user(UserError::new(
            ErrorCode::InvalidState,
            "This household's account has been closed",
        )));
    }
    Ok(())
}

/// An audit entry written before an assisted action.
pub struct AuditEntry {
    id: i64,
    household: HouseholdMembership,
    action: AssistedActionKind,
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
    Ok(AuditEntry { id, household, action })
}

impl AuditEntry {
    /// Marks the action's outcome and, when it changed something for the
    /// household, writes the household's message saying so, in one
    /// transaction. The action has happened by now: a failure to mark it is
    /// logged and leaves the entry PENDING.
    pub async fn finish(
        self,
        g: &Gateway,
        outcome: AssistedActionOutcome,
        target: Option<Uuid>,
        detail: Option<String>,
    ) {
        let done = async {
            let mut tx = g.pool.begin().await?;
            db::finish(&mut *tx, self.id, outcome, target, detail.as_deref()).await?;
            if outcome == AssistedActionOutcome::Succeeded {
                crate::notify::assisted::notice(&mut tx, &g.site_url, self.id, self.household, self.action, target)
                    .await?;
            }
            tx.commit().await
        };
        if let Err(e) = done.await {
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
    entry.finish(g, outcome, found, detail).await;
    r
}
