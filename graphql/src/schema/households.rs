//! Households' facts and decisions: `updateHouseholdProfile`,
//! `Household.profile` (the household itself, or an officer of its council
//! — every such read is audited by the eligibility service) and
//! `Household.eligibility` with per-criterion reasons.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use roundabout_api::graphql::CheckedInt;
use roundabout_api::ErrorCode;
use serde::Serialize;

use crate::{
    schema::{
        acting::{acting_for, audited, refuse_if_closed, AssistedActionKind},
        errors::{self, payload, Failure, Refusable, UserError},
        geo::{GeoPoint, GeoPointInput},
        identity::Household,
        ids::parse_id,
        request::RequestCtx,
        schemes::Scheme,
        zones::{load_zones, Zone},
    },
    services::Gateway,
};
use roundabout_api::eligibility::{
    CriterionResultData, DecisionData, HouseholdData, IncomeBandIn, NeedsIn, ProfileData, ProfileIn,
};
use roundabout_api::routes;
use roundabout_api::Pence;

/// What the household needs from a vehicle.
#[derive(SimpleObject)]
pub struct TravelNeeds {
    /// Seats needed, 1 to 16.
    pub seats: i32,
    /// Whether a wheelchair-accessible vehicle is needed.
    pub wheelchair_accessible: bool,
    /// Whether an electric vehicle is preferred.
    pub electric_preferred: bool,
}

/// What the household needs from a vehicle.
#[derive(InputObject, Serialize)]
pub struct TravelNeedsInput {
    /// Seats needed, 1 to 16.
    pub seats: i32,
    /// Whether a wheelchair-accessible vehicle is needed.
    pub wheelchair_accessible: bool,
    /// Whether an electric vehicle is preferred.
    pub electric_preferred: bool,
}

/// An income given as a band: from `fromPence` (inclusive) to below
/// `belowPence`; either end may be open ("under £15,000", "£50,000 or more").
#[derive(SimpleObject, Debug, Clone, Copy)]
pub struct IncomeBand {
    /// The lowest income in the band, in pence; null: no lower end.
    pub from_pence: Option<CheckedInt>,
    /// The band's upper end (not in it), in pence; null: no upper end.
    pub below_pence: Option<CheckedInt>,
}

/// An income given as a band: from `fromPence` (inclusive) to below
/// `belowPence`; at least one end.
#[derive(InputObject, Serialize, Debug, Clone, Copy)]
pub struct IncomeBandInput {
    /// The lowest income in the band, in pence; null: no lower end.
    pub from_pence: Option<i64>,
    /// The band's upper end (not in it), in pence; null: no upper end.
    pub below_pence: Option<i64>,
}

/// A household's facts, as the council's schemes read them.
pub struct HouseholdProfile(pub ProfileData);

#[Object]
impl HouseholdProfile {
    /// Where the household lives.
    async fn location(&self) -> GeoPoint {
        GeoPoint {
            lat: self.0.lat,
            lon: self.0.lon,
        }
    }

    /// The household's postcode.
    async fn postcode(&self) -> Option<&str> {
        self.0.postcode.as_deref()
    }

    /// People in the household.
    async fn members(&self) -> i32 {
        self.0.members
    }

    /// Yearly household income in pence; null if not given.
    async fn annual_income_pence(&self) -> Option<CheckedInt> {
        self.0.annual_income_pence.map(CheckedInt::from)
    }

    /// The band the household gave its income as, when it gave a band
    /// rather than a figure (`annualIncomePence` is then a figure inside
    /// it, which explanations never show); null otherwise.
    async fn income_band(&self) -> Option<IncomeBand> {
        (self.0.income_band_from_pence.is_some() || self.0.income_band_below_pence.is_some()).then_some(IncomeBand {
            from_pence: self.0.income_band_from_pence.map(CheckedInt::from),
            below_pence: self.0.income_band_below_pence.map(CheckedInt::from),
        })
    }

    /// Cars the household owns.
    async fn cars_owned(&self) -> i32 {
        self.0.cars_owned
    }

    /// Whether someone in the household holds a blue badge.
    async fn blue_badge(&self) -> bool {
        self.0.blue_badge
    }

    /// Benefits the household receives, e.g. "universal_credit".
    async fn benefits(&self) -> &[String] {
        &self.0.benefits
    }

    /// Age of the household's lead member; null if not given.
    async fn lead_age(&self) -> Option<i32> {
        self.0.lead_age
    }

    /// What the household needs from a vehicle.
    async fn needs(&self) -> TravelNeeds {
        TravelNeeds {
            seats: self.0.needs_seats,
            wheelchair_accessible: self.0.needs_wheelchair_accessible,
            electric_preferred: self.0.needs_electric_preferred,
        }
    }

    /// Zones of the council that contain the location.
    async fn zones(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Zone>> {
        load_zones(ctx, &self.0.zone_ids).await
    }

    /// When the profile last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A household's facts.
#[derive(InputObject)]
pub struct HouseholdProfileInput {
    /// Where the household lives (inside its council).
    pub location: GeoPointInput,
    /// The household's postcode.
    pub postcode: Option<String>,
    /// People in the household, 1 to 30.
    pub members: i32,
    /// Yearly household income in pence.
    pub annual_income_pence: Option<i64>,
    /// When the income was given as a band: the band, with
    /// `annualIncomePence` a figure inside it (explanations then show the
    /// band). Null: `annualIncomePence` is the figure given.
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
    /// Officer of the household's council: the household to act for
    /// (assisted booking, recorded in the council's audit log). Default:
    /// the signed-in household.
    pub household_id: Option<ID>,
}

/// The result of `updateHouseholdProfile`.
#[derive(SimpleObject)]
pub struct HouseholdPayload {
    /// The household; null when refused.
    pub household: Option<Household>,
    /// Why the profile was not saved.
    pub user_errors: Vec<UserError>,
}

impl Refusable for HouseholdPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            household: None,
            user_errors,
        }
    }
}

/// One criterion's result for a household.
#[derive(SimpleObject, Debug, Clone)]
pub struct CriterionResult {
    /// The criterion's id (`zone` for the scheme's zone restriction).
    pub criterion_id: String,
    /// What the criterion asks.
    pub label: String,
    /// Whether the household meets it.
    pub passed: bool,
    /// Why, in plain language, with the household's own values.
    pub explanation: String,
}

impl From<CriterionResultData> for CriterionResult {
    fn from(r: CriterionResultData) -> Self {
        Self {
            criterion_id: r.criterion_id,
            label: r.label,
            passed: r.passed,
            explanation: r.explanation,
        }
    }
}

/// A scheme's decision for a household, with every reason.
#[derive(SimpleObject)]
pub struct EligibilityDecision {
    /// The scheme version decided under.
    pub scheme: Scheme,
    /// Whether the household meets every criterion.
    pub eligible: bool,
    /// Each criterion's result, all evaluated.
    pub reasons: Vec<CriterionResult>,
}

/// Runs a read of a household's facts; an officer's (or admin's) read is
/// recorded in the assisted actions' audit log.
async fn audited_read<T>(
    ctx: &Context<'_>,
    household: &Household,
    kind: AssistedActionKind,
    read: impl std::future::Future<Output = Result<T, Failure>>,
) -> async_graphql::Result<T> {
    let session = &RequestCtx::get(ctx).session;
    let officer = session.0.as_ref().filter(|p| {
        p.household.is_none_or(|h| h.household_id != household.id) && p.caller().can_administer(household.council_id)
    });
    let acting = crate::schema::acting::Acting {
        household: roundabout_support::internal_auth::HouseholdMembership {
            household_id: household.id,
            council_id: household.council_id,
        },
        caller: session.caller(),
        officer: officer.cloned(),
    };
    match audited(ctx, &acting, kind, Some(household.id), read, |_| (None, None)).await {
        Ok(v) => Ok(v),
        Err(Failure::Fatal(e)) => Err(e),
        Err(Failure::User(u)) => Err(errors::coded(ErrorCode::InvalidInput, u.message)),
    }
}

/// `Household.profile`: null before it is filled in or when not visible.
pub async fn household_profile(
    ctx: &Context<'_>,
    household: &Household,
) -> async_graphql::Result<Option<HouseholdProfile>> {
    let g = ctx.data_unchecked::<Gateway>();
    let caller = RequestCtx::get(ctx).session.caller();
    let household_id = household.id;
    audited_read(ctx, household, AssistedActionKind::ProfileRead, async {
        match g
            .services
            .eligibility
            .get::<Option<ProfileData>>(&routes::eligibility::household_profile(household_id), &caller)
            .await
        {
            Ok(p) => Ok(p.map(HouseholdProfile)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(Failure::Fatal(errors::read_error(e))),
        }
    })
    .await
}

/// `Household.eligibility`: every scheme in effect with its decision.
pub async fn household_eligibility(
    ctx: &Context<'_>,
    household: &Household,
) -> async_graphql::Result<Vec<EligibilityDecision>> {
    let g = ctx.data_unchecked::<Gateway>();
    let caller = RequestCtx::get(ctx).session.caller();
    let household_id = household.id;
    let rows: Vec<DecisionData> = audited_read(ctx, household, AssistedActionKind::EligibilityRead, async {
        match g
            .services
            .eligibility
            .get(&routes::eligibility::household_eligibility(household_id), &caller)
            .await
        {
            Ok(rows) => Ok(rows),
            Err(e) if e.is_not_found() => Ok(Vec::new()),
            Err(e) => Err(Failure::Fatal(errors::read_error(e))),
        }
    })
    .await?;
    Ok(rows
        .into_iter()
        .map(|d| EligibilityDecision {
            scheme: Scheme(d.scheme),
            eligible: d.eligible,
            reasons: d.reasons.into_iter().map(Into::into).collect(),
        })
        .collect())
}

impl From<IncomeBandInput> for IncomeBandIn {
    fn from(b: IncomeBandInput) -> Self {
        Self {
            from_pence: b.from_pence.map(Pence),
            below_pence: b.below_pence.map(Pence),
        }
    }
}

impl From<&TravelNeedsInput> for NeedsIn {
    fn from(n: &TravelNeedsInput) -> Self {
        Self {
            seats: n.seats,
            wheelchair_accessible: n.wheelchair_accessible,
            electric_preferred: n.electric_preferred,
        }
    }
}

#[derive(Default)]
pub struct HouseholdMutation;

#[Object]
impl HouseholdMutation {
    /// Signed-in household: stores its facts; its zones follow from its
    /// location. An officer of the household's council may do it for the
    /// household given as `householdId` (recorded in the audit log).
    async fn update_household_profile(
        &self,
        ctx: &Context<'_>,
        input: HouseholdProfileInput,
    ) -> async_graphql::Result<HouseholdPayload> {
        let acting = acting_for(
            ctx,
            input.household_id.as_ref(),
            "Only a household account has a household profile",
        )
        .await?;
        if let Err(closed) = refuse_if_closed(ctx, &acting).await {
            return payload(Err(closed));
        }
        let h = acting.household;
        let caller = &acting.caller;
        let write = async {
            let g = ctx.data_unchecked::<Gateway>();
            let body = ProfileIn {
                lat: input.location.lat,
                lon: input.location.lon,
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
            let _: ProfileData = g
                .services
                .eligibility
                .put(&routes::eligibility::household_profile(h.household_id), &body, caller)
                .await
                .map_err(Failure::from)?;
            Ok(HouseholdPayload {
                household: Some(Household {
                    id: h.household_id,
                    council_id: h.council_id,
                }),
                user_errors: Vec::new(),
            })
        };
        payload(
            audited(
                ctx,
                &acting,
                AssistedActionKind::ProfileUpdate,
                Some(h.household_id),
                write,
                |_| (None, None),
            )
            .await,
        )
    }
}

#[derive(Default)]
pub struct HouseholdQuery;

#[Object]
impl HouseholdQuery {
    /// A household by id: the household itself, or an officer of its council
    /// (reading its profile is recorded); null otherwise.
    async fn household(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Household>> {
        let Some(id) = parse_id(&id) else { return Ok(None) };
        let g = ctx.data_unchecked::<Gateway>();
        let caller = RequestCtx::get(ctx).session.caller();
        if caller.user_id.is_none() {
            return Ok(None);
        }
        match g
            .services
            .eligibility
            .get::<HouseholdData>(&routes::eligibility::household(id), &caller)
            .await
        {
            Ok(h) => Ok(Some(Household {
                id: h.id,
                council_id: h.council_id,
            })),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(errors::read_error(e)),
        }
    }
}
