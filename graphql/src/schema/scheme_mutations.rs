//! Officers write schemes: `createScheme`, `updateScheme` (drafts),
//! `addSchemeTestCase`, `publishScheme`, `reviseScheme`, `pauseScheme`,
//! `closeScheme`. The eligibility service checks rules, states and tenancy;
//! its refusals come back as `userErrors` (`INVALID_RULE`,
//! `TEST_CASE_FAILED`, `INVALID_STATE`, …) or `FORBIDDEN`.

use async_graphql::{Context, InputObject, Json, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roundabout_api::ErrorCode;
use serde::Serialize;
use uuid::Uuid;

use crate::{
    schema::{
        errors::{self, payload, Failure, Refusable, UserError},
        ids::parse_id,
        request::RequestCtx,
        schemes::Scheme,
    },
    services::Gateway,
};
use roundabout_api::eligibility::{CriterionIn, SchemeData, SchemeIn, SubsidyIn, TestCaseIn};
use roundabout_api::routes;
use roundabout_api::states::BookingKind;
use roundabout_api::Pence;

/// One criterion of a scheme.
#[derive(InputObject, Serialize)]
pub struct CriterionInput {
    /// Stable id within the scheme: letters, digits, `-` or `_`.
    pub id: String,
    /// What the criterion asks, in words.
    pub label: String,
    /// A JSON Logic rule over the household fact catalogue (or a string
    /// holding one as JSON text).
    pub rule: Json<serde_json::Value>,
    /// Shown to a household that does not meet it; may use `{value}`,
    /// `{limit}` and `{household.…}` placeholders.
    pub fail_text: String,
}

/// What a scheme pays.
#[derive(InputObject, Serialize)]
pub struct SubsidyInput {
    /// Share of the base price in basis points, 0 to 10000.
    pub percent_basis_points: i32,
    /// Most paid per booking (per month for a lease), in pence.
    pub cap_per_booking_pence: Option<i64>,
}

/// A scheme's content.
#[derive(InputObject)]
pub struct SchemeInput {
    /// The council running the scheme.
    pub council_id: ID,
    /// The scheme's name.
    pub name: String,
    /// What the scheme is for.
    pub description: Option<String>,
    /// Zones a household must live in; empty or absent: the whole council.
    pub zone_ids: Option<Vec<ID>>,
    /// The eligibility criteria.
    pub criteria: Vec<CriterionInput>,
    /// What the scheme pays.
    pub subsidy: SubsidyInput,
    /// The kinds of booking it pays towards.
    pub applies_to: Vec<BookingKind>,
    /// The budget, in pence (greater than 0 to publish).
    pub budget_pence: i64,
    /// When it starts to apply once published (default: when published).
    pub effective_from: Option<DateTime<Utc>>,
    /// When it stops applying (default: open-ended).
    pub effective_to: Option<DateTime<Utc>>,
}

/// A test case for a DRAFT scheme.
#[derive(InputObject)]
pub struct SchemeTestCaseInput {
    /// The DRAFT scheme version.
    pub scheme_id: ID,
    /// What the case is about, unique in the scheme.
    pub name: String,
    /// `{"household": {…}}` in the fact catalogue's shape.
    pub facts: Json<serde_json::Value>,
    /// The expected decision.
    pub expect_eligible: bool,
}

/// The result of a scheme mutation.
#[derive(SimpleObject)]
pub struct SchemePayload {
    /// The scheme version; null when refused.
    pub scheme: Option<Scheme>,
    /// Why the change was refused.
    pub user_errors: Vec<UserError>,
}

impl Refusable for SchemePayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            scheme: None,
            user_errors,
        }
    }
}

fn not_found(field: &str) -> Failure {
    Failure::user(UserError {
        field: Some(vec!["input".into(), field.into()]),
        code: ErrorCode::NotFound.into(),
        message: "There is no such scheme or council".into(),
    })
}

fn scheme_id(id: &ID) -> Result<Uuid, Failure> {
    parse_id(id)
        .ok_or_else(|| Failure::user(UserError::new(ErrorCode::NotFound, "There is no scheme with this id").at(["id"])))
}

fn body(input: &SchemeInput) -> Result<SchemeIn, Failure> {
    let council_id = parse_id(&input.council_id).ok_or_else(|| not_found("councilId"))?;
    let zone_ids = input
        .zone_ids
        .iter()
        .flatten()
        .map(|z| {
            parse_id(z).ok_or_else(|| {
                Failure::user(
                    UserError::new(ErrorCode::InvalidInput, "A zone id is not valid").at(["input", "zoneIds"]),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SchemeIn {
        council_id,
        name: input.name.clone(),
        description: input.description.clone(),
        zone_ids: Some(zone_ids),
        criteria: input
            .criteria
            .iter()
            .map(|c| CriterionIn {
                id: c.id.clone(),
                label: c.label.clone(),
                rule: c.rule.0.clone(),
                fail_text: c.fail_text.clone(),
            })
            .collect(),
        subsidy: SubsidyIn {
            percent_basis_points: input.subsidy.percent_basis_points.into(),
            cap_per_booking_pence: input.subsidy.cap_per_booking_pence.map(Pence),
        },
        applies_to: input.applies_to.iter().map(ToString::to_string).collect(),
        budget_pence: Pence(input.budget_pence),
        effective_from: input.effective_from,
        effective_to: input.effective_to,
    })
}

/// Sends a scheme call for the signed-in user; the answer is the scheme.
async fn call<B: Serialize>(ctx: &Context<'_>, path: &str, b: &B, put: bool) -> Result<SchemePayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let caller = RequestCtx::get(ctx).session.caller();
    let e = &g.services.eligibility;
    let data: SchemeData = if put {
        e.put(path, b, &caller).await?
    } else {
        e.post(path, b, &caller).await?
    };
    Ok(SchemePayload {
        scheme: Some(Scheme(data)),
        user_errors: Vec::new(),
    })
}

fn signed_in(ctx: &Context<'_>) -> async_graphql::Result<()> {
    RequestCtx::get(ctx)
        .session
        .0
        .as_ref()
        .map(|_| ())
        .ok_or_else(errors::unauthenticated)
}

/// A lifecycle step on a scheme version (`path`: the step's route).
async fn step(ctx: &Context<'_>, id: &ID, path: fn(Uuid) -> String) -> async_graphql::Result<SchemePayload> {
    signed_in(ctx)?;
    payload(
        async {
            let id = scheme_id(id)?;
            call(ctx, &path(id), &serde_json::json!({}), false).await
        }
        .await,
    )
}

#[derive(Default)]
pub struct SchemeMutation;

#[Object]
impl SchemeMutation {
    /// Officer of the council: drafts a new scheme (version 1, DRAFT).
    async fn create_scheme(&self, ctx: &Context<'_>, input: SchemeInput) -> async_graphql::Result<SchemePayload> {
        signed_in(ctx)?;
        payload(async { call(ctx, routes::eligibility::SCHEMES, &body(&input)?, false).await }.await)
    }

    /// DRAFT schemes only.
    async fn update_scheme(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: SchemeInput,
    ) -> async_graphql::Result<SchemePayload> {
        signed_in(ctx)?;
        payload(
            async {
                let id = scheme_id(&id)?;
                call(ctx, &routes::eligibility::scheme(id), &body(&input)?, true).await
            }
            .await,
        )
    }

    /// Officer of the council: adds a test case to a DRAFT scheme and runs it.
    async fn add_scheme_test_case(
        &self,
        ctx: &Context<'_>,
        input: SchemeTestCaseInput,
    ) -> async_graphql::Result<SchemePayload> {
        signed_in(ctx)?;
        payload(
            async {
                let id = parse_id(&input.scheme_id).ok_or_else(|| not_found("schemeId"))?;
                let b = TestCaseIn {
                    name: input.name.clone(),
                    facts: input.facts.0.clone(),
                    expect_eligible: input.expect_eligible,
                };
                call(ctx, &routes::eligibility::scheme_test_cases(id), &b, false).await
            }
            .await,
        )
    }

    /// Runs every test case; refuses with TEST_CASE_FAILED if any fails.
    async fn publish_scheme(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SchemePayload> {
        step(ctx, &id, routes::eligibility::scheme_publish).await
    }

    /// New DRAFT version of an ACTIVE scheme; publishing it supersedes the old version.
    async fn revise_scheme(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SchemePayload> {
        step(ctx, &id, routes::eligibility::scheme_revise).await
    }

    /// Officer of the council: an ACTIVE scheme stops applying until published again.
    async fn pause_scheme(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SchemePayload> {
        step(ctx, &id, routes::eligibility::scheme_pause).await
    }

    /// Officer of the council: the scheme version ends now for good.
    async fn close_scheme(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<SchemePayload> {
        step(ctx, &id, routes::eligibility::scheme_close).await
    }
}
