//! How long a council's records are kept: `Council.retention` (its officers
//! and admins) and `updateCouncilRetention`, with which its officers choose
//! their own periods for the kinds of record the council decides on.
//! Eligibility stores the choices and checks them against each kind's
//! bounds (`roundabout_api::retention`).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::{
    retention::{self, RetentionIn, RetentionPeriodData, RetentionPeriodIn},
    routes,
    states::RetentionKind,
    ErrorCode,
};
use uuid::Uuid;

use crate::{
    schema::{
        councils::Council,
        errors::{self, payload, Failure, Refusable, UserError},
        ids::parse_id,
        request::RequestCtx,
    },
    services::Gateway,
};

/// How long one kind of record is kept for a council.
pub struct RetentionPeriod(pub RetentionPeriodData);

/// How long one kind of record is kept for a council.
#[Object]
impl RetentionPeriod {
    /// The kind of record.
    async fn kind(&self) -> RetentionKind {
        self.0.kind
    }

    /// The period in force for the council, in days.
    async fn days(&self) -> i32 {
        self.0.days
    }

    /// The service's default period, in days.
    async fn default_days(&self) -> i32 {
        self.0.default_days
    }

    /// The shortest period allowed, in days.
    async fn min_days(&self) -> i32 {
        retention::rule(self.0.kind).min_days
    }

    /// The longest period allowed, in days.
    async fn max_days(&self) -> i32 {
        retention::rule(self.0.kind).max_days
    }

    /// Whether the council chose this period itself rather than the default.
    async fn overridden(&self) -> bool {
        self.0.overridden
    }

    /// Whether the council may choose the period (otherwise the service's
    /// operator sets it for every council).
    async fn council_may_change(&self) -> bool {
        self.0.council_decides
    }

    /// What is deleted and when, in plain English.
    async fn description(&self) -> String {
        retention::rule(self.0.kind).describe(self.0.days)
    }
}

/// Only officers of the council and admins.
fn require_officer(ctx: &Context<'_>, council_id: Uuid) -> async_graphql::Result<()> {
    let r = RequestCtx::get(ctx);
    let p = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
    if !p.is_admin() && !p.officer_of.contains(&council_id) {
        return Err(errors::forbidden(
            "Only officers of this council see and change how long its records are kept",
        ));
    }
    Ok(())
}

/// `Council.retention`: every kind's period for the council.
pub async fn council_retention(ctx: &Context<'_>, council_id: Uuid) -> async_graphql::Result<Vec<RetentionPeriod>> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let rows: Vec<RetentionPeriodData> = g
        .services
        .eligibility
        .get(&routes::eligibility::council_retention(council_id), &r.session.caller())
        .await
        .map_err(errors::read_error)?;
    Ok(rows.into_iter().map(RetentionPeriod).collect())
}

/// A council's own period for one kind of record.
#[derive(InputObject)]
pub struct RetentionPeriodInput {
    pub kind: RetentionKind,
    /// Days to keep it; null returns the kind to the service's default.
    pub days: Option<i32>,
}

/// The council's own periods to change; kinds not listed keep theirs.
#[derive(InputObject)]
pub struct CouncilRetentionInput {
    pub periods: Vec<RetentionPeriodInput>,
}

/// The result of `updateCouncilRetention`.
#[derive(SimpleObject)]
pub struct CouncilRetentionPayload {
    /// The council after the change (its `retention` shows the periods);
    /// null when refused.
    pub council: Option<Council>,
    /// Why the change was refused; nothing was changed then.
    pub user_errors: Vec<UserError>,
}

impl Refusable for CouncilRetentionPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            council: None,
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct RetentionMutation;

#[Object]
impl RetentionMutation {
    /// Officer of the council: chooses how long the council's records of the
    /// kinds it decides on are kept (eligibility decisions, profile reads, the
    /// assisted-action log, abandoned bookings). Each period must lie within
    /// its kind's bounds (`RETENTION_TOO_SHORT`, `RETENTION_TOO_LONG`); a
    /// kind the operator sets is `RETENTION_NOT_ADJUSTABLE`. All or none of
    /// the periods are changed.
    async fn update_council_retention(
        &self,
        ctx: &Context<'_>,
        council_id: ID,
        input: CouncilRetentionInput,
    ) -> async_graphql::Result<CouncilRetentionPayload> {
        let Some(council) = parse_id(&council_id) else {
            return payload(Err(Failure::user(
                UserError::new(ErrorCode::NotFound, "There is no council with this id").at(["councilId"]),
            )));
        };
        require_officer(ctx, council)?;
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        let body = RetentionIn {
            periods: input
                .periods
                .into_iter()
                .map(|p| RetentionPeriodIn {
                    kind: p.kind,
                    days: p.days,
                })
                .collect(),
        };
        let outcome = async {
            let _: Vec<RetentionPeriodData> = g
                .services
                .eligibility
                .put(
                    &routes::eligibility::council_retention(council),
                    &body,
                    &r.session.caller(),
                )
                .await?;
            let council = Council::load(ctx, council).await?;
            Ok::<_, Failure>(CouncilRetentionPayload {
                council,
                user_errors: Vec::new(),
            })
        }
        .await;
        payload(outcome)
    }
}
