//! `simulateScheme`: what-if evaluation of a scheme (draft or active) over
//! every household of its council that has a profile, as it is or with its
//! income limit, percentage or cap changed for the run (nothing is stored).

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::ErrorCode;
use roundabout_api::{graphql::CheckedInt, Pence};
use roundabout_support::client::ClientError;

use crate::{
    schema::{
        errors::{self, coded},
        ids::parse_id,
        request::RequestCtx,
    },
    services::Gateway,
};
use roundabout_api::{
    eligibility::{SimulationData, SimulationIn},
    routes,
};

/// How many households failed one criterion.
#[derive(SimpleObject, Debug, Clone)]
pub struct CriterionCount {
    /// The criterion's id (`zone` for the scheme's zone restriction).
    pub criterion_id: String,
    /// Households that did not meet it.
    pub count: CheckedInt,
}

/// The outcome of a simulation.
#[derive(SimpleObject, Debug, Clone)]
#[graphql(complex)]
pub struct SimulationResult {
    /// Households of the council with a profile.
    pub households_evaluated: CheckedInt,
    /// Of those, the ones meeting every criterion and the zone restriction.
    pub eligible_households: CheckedInt,
    /// Estimated subsidy if each eligible household took one typical booking.
    pub estimated_subsidy_pence: CheckedInt,
    /// Households failing each criterion (a household may fail several).
    pub failures_by_criterion: Vec<CriterionCount>,
}

#[ComplexObject]
impl SimulationResult {
    /// `estimatedSubsidyPence` exact to 64 bits, as a `Pence` string.
    async fn estimated_subsidy_amount(&self) -> Pence {
        Pence(self.estimated_subsidy_pence.0)
    }
}

impl From<SimulationData> for SimulationResult {
    fn from(s: SimulationData) -> Self {
        Self {
            households_evaluated: s.households_evaluated.into(),
            eligible_households: s.eligible_households.into(),
            estimated_subsidy_pence: s.estimated_subsidy_pence.into(),
            failures_by_criterion: s
                .failures_by_criterion
                .into_iter()
                .map(|c| CriterionCount {
                    criterion_id: c.criterion_id,
                    count: c.count.into(),
                })
                .collect(),
        }
    }
}

/// What a simulation changes for its run; nothing is stored. Each value
/// given replaces the scheme's.
#[derive(InputObject, Debug, Clone, Default, serde::Serialize)]
pub struct SimulationOverridesInput {
    /// Households with an income under this, in pence: replaces the limit of
    /// every income criterion (or adds one, id `income-limit`, to a scheme
    /// without). From 0 to 1,000,000,000.
    pub income_limit_pence: Option<i64>,
    /// The share of the price paid, in basis points (2500 = 25%), 0 to 10000.
    pub percent_basis_points: Option<i32>,
    /// The most paid per booking (per month for a lease), in pence.
    pub cap_per_booking_pence: Option<i64>,
}

impl From<SimulationOverridesInput> for SimulationIn {
    fn from(o: SimulationOverridesInput) -> Self {
        Self {
            income_limit_pence: o.income_limit_pence.map(Pence),
            percent_basis_points: o.percent_basis_points,
            cap_per_booking_pence: o.cap_per_booking_pence.map(Pence),
        }
    }
}

#[derive(Default)]
pub struct SimulationQuery;

#[Object]
impl SimulationQuery {
    /// Officer of the scheme's council: evaluate a scheme (draft or active) over all households of the council,
    /// with `overrides` changing its income limit, percentage or cap for this run only.
    async fn simulate_scheme(
        &self,
        ctx: &Context<'_>,
        scheme_id: ID,
        overrides: Option<SimulationOverridesInput>,
    ) -> async_graphql::Result<SimulationResult> {
        let r = RequestCtx::get(ctx);
        if r.session.0.is_none() {
            return Err(errors::unauthenticated());
        }
        let not_found = || coded(ErrorCode::NotFound, "There is no scheme with this id");
        let id = parse_id(&scheme_id).ok_or_else(not_found)?;
        let g = ctx.data_unchecked::<Gateway>();
        g.services
            .eligibility
            .post::<_, SimulationData>(
                &routes::eligibility::scheme_simulate(id),
                &SimulationIn::from(overrides.unwrap_or_default()),
                &r.session.caller(),
            )
            .await
            .map_err(|e| match e {
                e if e.is_not_found() => not_found(),
                e @ ClientError::Refused { .. } => errors::read_error(e),
                e => errors::unavailable(e),
            })
            .map(SimulationResult::from)
    }
}
