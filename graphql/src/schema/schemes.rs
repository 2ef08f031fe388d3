//! Schemes as clients see them: `Scheme` with its criteria, subsidy, budget
//! position and (for officers) test cases; `Council.schemes`. Mutations are
//! in `scheme_mutations.rs`.

use async_graphql::{Context, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roundabout_api::ErrorCode;
use roundabout_api::{graphql::CheckedInt, Pence};
use uuid::Uuid;

use crate::{
    schema::{
        councils::Council,
        errors::{self, coded},
        loaders::load_error,
        request::RequestCtx,
        zones::{load_zones, Zone},
    },
    services::Gateway,
};
use roundabout_api::eligibility::{SchemeData, SchemesQuery};
use roundabout_api::routes;

use roundabout_api::states::{BookingKind, SchemeStatus};

/// One eligibility criterion: a JSON Logic rule over the household's facts.
#[derive(SimpleObject)]
pub struct Criterion {
    /// Stable id within the scheme, e.g. "income".
    pub id: String,
    /// What the criterion asks, in words.
    pub label: String,
    /// The JSON Logic rule.
    pub rule: Json<serde_json::Value>,
    /// Shown to a household that does not meet it; `{value}`, `{limit}` and
    /// `{household.…}` are filled in with the household's facts.
    pub fail_text: String,
}

/// What a scheme pays.
#[derive(SimpleObject)]
pub struct Subsidy {
    /// Share of the base price, in basis points (4000 = 40 %).
    pub percent_basis_points: i32,
    /// Most paid per booking (per month for a lease), in pence; null: no cap.
    pub cap_per_booking_pence: Option<CheckedInt>,
}

/// A household's facts and whether the scheme should find it eligible.
#[derive(SimpleObject)]
pub struct SchemeTestCase {
    /// The test case's id.
    pub id: ID,
    /// What the case is about.
    pub name: String,
    /// `{"household": {…}}` in the fact catalogue's shape.
    pub facts: Json<serde_json::Value>,
    /// The expected decision.
    pub expect_eligible: bool,
    /// The decision when the case last ran; null before it ran.
    pub last_result: Option<bool>,
}

/// A council's subsidy scheme, in one version.
pub struct Scheme(pub SchemeData);

#[Object]
impl Scheme {
    /// This version's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The council that runs the scheme.
    async fn council(&self, ctx: &Context<'_>) -> async_graphql::Result<Council> {
        Council::load(ctx, self.0.council_id)
            .await?
            .ok_or_else(|| coded(ErrorCode::NotFound, "The scheme's council no longer exists"))
    }

    /// The scheme's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What the scheme is for.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// Where this version is in its life.
    async fn status(&self) -> SchemeStatus {
        self.0.status
    }

    /// The version number, from 1; a revision is the next number.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When this version starts to apply (set when published).
    async fn effective_from(&self) -> Option<DateTime<Utc>> {
        self.0.effective_from
    }

    /// When this version stops applying; null: open-ended.
    async fn effective_to(&self) -> Option<DateTime<Utc>> {
        self.0.effective_to
    }

    /// Zones a household must live in. Empty: the whole council.
    async fn zones(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Zone>> {
        load_zones(ctx, &self.0.zone_ids).await
    }

    /// The criteria, each evaluated on its own.
    async fn criteria(&self) -> Vec<Criterion> {
        self.0
            .criteria
            .iter()
            .map(|c| Criterion {
                id: c.id.clone(),
                label: c.label.clone(),
                rule: Json(c.rule.clone()),
                fail_text: c.fail_text.clone(),
            })
            .collect()
    }

    /// What the scheme pays.
    async fn subsidy(&self) -> Subsidy {
        Subsidy {
            percent_basis_points: self.0.percent_basis_points,
            cap_per_booking_pence: self.0.cap_per_booking_pence.map(CheckedInt::from),
        }
    }

    /// The kinds of booking the scheme pays towards.
    async fn applies_to(&self) -> &[BookingKind] {
        &self.0.applies_to
    }

    /// The budget, in pence.
    async fn budget_pence(&self) -> CheckedInt {
        self.0.budget_pence.into()
    }

    /// `budgetPence` exact to 64 bits, as a `Pence` string.
    async fn budget_amount(&self) -> Pence {
        self.0.budget_pence
    }

    /// Committed to bookings so far (all versions of the scheme), in pence.
    async fn committed_pence(&self) -> CheckedInt {
        self.0.committed_pence.into()
    }

    /// `committedPence` exact to 64 bits, as a `Pence` string.
    async fn committed_amount(&self) -> Pence {
        self.0.committed_pence
    }

    /// Budget left after commitments and live holds, in pence.
    async fn remaining_pence(&self) -> CheckedInt {
        self.0.remaining_pence.into()
    }

    /// `remainingPence` exact to 64 bits, as a `Pence` string.
    async fn remaining_amount(&self) -> Pence {
        self.0.remaining_pence
    }

    /// Officers of the council: the scheme's test cases (empty for others).
    async fn test_cases(&self) -> Vec<SchemeTestCase> {
        self.0
            .test_cases
            .iter()
            .map(|t| SchemeTestCase {
                id: ID(t.id.to_string()),
                name: t.name.clone(),
                facts: Json(t.facts.clone()),
                expect_eligible: t.expect_eligible,
                last_result: t.last_result,
            })
            .collect()
    }
}

/// A council's schemes: ACTIVE ones for everyone, every status for its
/// officers; `status` narrows the list.
pub async fn council_schemes(
    ctx: &Context<'_>,
    council_id: Uuid,
    status: Option<SchemeStatus>,
) -> async_graphql::Result<Vec<Scheme>> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let path = format!(
        "{}{}",
        routes::eligibility::council_schemes(council_id),
        SchemesQuery {
            status: status.map(|s| s.as_str().to_string()),
        }
        .to_query()
    );
    let rows: Vec<SchemeData> = g
        .services
        .eligibility
        .get(&path, &r.session.caller())
        .await
        .map_err(errors::read_error)?;
    Ok(rows.into_iter().map(Scheme).collect())
}

impl Scheme {
    /// A scheme by id through the request's DataLoader; None if not visible.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Scheme>> {
        let r = RequestCtx::get(ctx);
        Ok(r.loaders.schemes.load_one(id).await.map_err(load_error)?.map(Scheme))
    }
}
