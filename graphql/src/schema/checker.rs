//! The signed-out checker: `councilsForPostcode` finds the councils that
//! cover a postcode, and `checkEligibility` decides a council's ACTIVE
//! schemes for facts given without an account. Both are public; nothing is
//! stored, and the facts travel to the eligibility service in a request
//! body, never in a path that request logs keep.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::ErrorCode;

use crate::schema::ids::parse_id;
use crate::{
    schema::{
        councils::Council,
        errors::{payload, Failure, Refusable, UserError},
        households::{EligibilityDecision, IncomeBandInput, TravelNeedsInput},
        loaders::load_error,
        request::RequestCtx,
        schemes::Scheme,
    },
    services::Gateway,
};
use roundabout_api::{
    eligibility::{CheckIn, DecisionData, PostcodeCouncilsData, PostcodeIn},
    routes, Pence,
};

/// Facts about a household, to check what it could get before it has an
/// account.
#[derive(InputObject)]
pub struct CheckEligibilityInput {
    /// The council whose schemes to check.
    pub council_id: ID,
    /// The household's postcode: when the council's lookup has it, it
    /// places the home in the council's zones; otherwise schemes limited to
    /// an area say they need it.
    pub postcode: Option<String>,
    /// People in the household, 1 to 30.
    pub members: i32,
    /// Yearly household income in pence; null: not given.
    pub annual_income_pence: Option<i64>,
    /// When the income was given as a band: the band, with
    /// `annualIncomePence` a figure inside it.
    pub income_band: Option<IncomeBandInput>,
    /// Cars the household owns, 0 to 20.
    pub cars_owned: i32,
    /// Whether someone in the household holds a blue badge.
    pub blue_badge: bool,
    /// Benefits the household receives, e.g. "universal_credit".
    pub benefits: Option<Vec<String>>,
    /// Age of the household's lead member, 16 to 120.
    pub lead_age: Option<i32>,
    /// What the household needs from a vehicle.
    pub needs: TravelNeedsInput,
}

/// The result of `checkEligibility`.
#[derive(SimpleObject)]
pub struct CheckEligibilityPayload {
    /// Each ACTIVE scheme of the council in effect now, decided for the
    /// facts given, with every reason; empty when refused.
    pub decisions: Vec<EligibilityDecision>,
    /// Why the facts could not be checked (an unknown council, a fact out
    /// of range).
    pub user_errors: Vec<UserError>,
}

impl Refusable for CheckEligibilityPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            decisions: Vec::new(),
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct CheckerQuery;

#[Object]
impl CheckerQuery {
    /// Public: the councils whose postcode lookup has this postcode (else
    /// its district), by name; empty when no council here covers it or it
    /// is not a postcode.
    #[graphql(complexity = "5 * child_complexity")]
    async fn councils_for_postcode(&self, ctx: &Context<'_>, postcode: String) -> async_graphql::Result<Vec<Council>> {
        let code: String = postcode.chars().filter(|c| !c.is_whitespace()).collect();
        if code.is_empty() || code.len() > 8 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(Vec::new());
        }
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        let found: PostcodeCouncilsData = match g
            .services
            .eligibility
            .post(
                routes::eligibility::POSTCODE_COUNCILS,
                &PostcodeIn { postcode: code.clone() },
                &r.session.caller(),
            )
            .await
        {
            Ok(f) => f,
            Err(e) if e.error_code() == Some(ErrorCode::InvalidInput) => return Ok(Vec::new()),
            Err(e) => return Err(crate::schema::errors::read_error(e)),
        };
        let loaded = r
            .loaders
            .councils
            .load_many(found.council_ids.iter().copied())
            .await
            .map_err(load_error)?;
        let mut councils: Vec<Council> = loaded.into_values().map(Council).collect();
        councils.sort_by(|a, b| a.0.name.cmp(&b.0.name).then(a.0.id.cmp(&b.0.id)));
        Ok(councils)
    }

    /// Public: what a household with these facts could get from the
    /// council's schemes in effect now, each with its reasons — for someone
    /// checking before they have an account. Nothing is stored.
    /// `NOT_FOUND` for an unknown council; `INVALID_INPUT` at the field for
    /// a fact out of range.
    async fn check_eligibility(
        &self,
        ctx: &Context<'_>,
        input: CheckEligibilityInput,
    ) -> async_graphql::Result<CheckEligibilityPayload> {
        payload(check(ctx, input).await)
    }
}

async fn check(ctx: &Context<'_>, input: CheckEligibilityInput) -> Result<CheckEligibilityPayload, Failure> {
    let council = parse_id(&input.council_id).ok_or_else(|| {
        Failure::user(
            UserError::new(ErrorCode::NotFound, "There is no council with this id").at(["input", "councilId"]),
        )
    })?;
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let body = CheckIn {
        postcode: input.postcode.clone(),
        members: input.members,
        annual_income_pence: input.annual_income_pence.map(Pence),
        income_band: input.income_band.map(Into::into),
        cars_owned: input.cars_owned,
        blue_badge: input.blue_badge,
        benefits: input.benefits.clone(),
        lead_age: input.lead_age,
        needs: (&input.needs).into(),
    };
    let rows: Vec<DecisionData> = match g
        .services
        .eligibility
        .post(
            &routes::eligibility::council_eligibility_check(council),
            &body,
            &r.session.caller(),
        )
        .await
    {
        Ok(rows) => rows,
        Err(e) if e.is_not_found() => {
            return Err(Failure::user(
                UserError::new(ErrorCode::NotFound, "There is no council with this id").at(["input", "councilId"]),
            ))
        }
        Err(e) => return Err(Failure::from(e)),
    };
    Ok(CheckEligibilityPayload {
        decisions: rows
            .into_iter()
            .map(|d| EligibilityDecision {
                scheme: Scheme(d.scheme),
                eligible: d.eligible,
                reasons: d.reasons.into_iter().map(Into::into).collect(),
            })
            .collect(),
        user_errors: Vec::new(),
    })
}
