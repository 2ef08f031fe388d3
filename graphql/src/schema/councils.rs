//! Councils: `createCouncil` (admin), `councils` (public), `council(id)`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::ErrorCode;
use uuid::Uuid;

use crate::schema::ids::parse_id;
use crate::{
    accounts::{self, db::NewMembership, password, Email},
    schema::{
        errors::{self, payload, Failure, Refusable, UserError},
        loaders::load_error,
        request::RequestCtx,
        scalars::GeoJson,
    },
    services::Gateway,
};
use roundabout_api::eligibility::{CouncilData, CouncilIn};
use roundabout_api::routes;

/// A local council that brokers transport offers to its residents.
pub struct Council(pub CouncilData);

#[Object]
impl Council {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The council's name, e.g. "West Oxfordshire".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// A short code, e.g. "WOX".
    async fn code(&self) -> &str {
        &self.0.code
    }

    /// The council's area as a GeoJSON Polygon or MultiPolygon (WGS84).
    async fn boundary(&self) -> GeoJson {
        GeoJson(self.0.boundary.clone())
    }

    /// How residents reach the council about its schemes, its data
    /// protection officer and its accessibility contact (public); each part
    /// null until its officers give it.
    async fn contact(&self) -> crate::schema::contacts::CouncilContact {
        crate::schema::contacts::CouncilContact::from(&self.0)
    }

    /// Officer of the council: the providers that applied to operate here.
    #[graphql(complexity = "10 * child_complexity")]
    async fn providers(
        &self,
        ctx: &Context<'_>,
        status: Option<roundabout_api::states::ProviderStatus>,
    ) -> async_graphql::Result<Vec<crate::schema::providers::Provider>> {
        crate::schema::providers::council_providers(ctx, self.0.id, status).await
    }

    /// The council's zones, by name.
    async fn zones(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<crate::schema::zones::Zone>> {
        crate::schema::zones::council_zones(ctx, self.0.id).await
    }

    /// Public: ACTIVE schemes; officers of the council also see the rest.
    async fn schemes(
        &self,
        ctx: &Context<'_>,
        status: Option<roundabout_api::states::SchemeStatus>,
    ) -> async_graphql::Result<Vec<crate::schema::schemes::Scheme>> {
        crate::schema::schemes::council_schemes(ctx, self.0.id, status).await
    }

    /// Public: the household facts its live (ACTIVE) schemes read, as the
    /// rules name them (`household.annualIncomePence`, …), in the order of
    /// the fact catalogue. A household is not asked for a fact no live
    /// scheme reads, unless the service itself needs it (where it lives,
    /// what vehicle it needs), so nothing is collected for no purpose.
    async fn facts_in_use(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        let schemes =
            crate::schema::schemes::council_schemes(ctx, self.0.id, Some(roundabout_api::states::SchemeStatus::Active))
                .await?;
        let mut read: Vec<&'static str> = Vec::new();
        for s in &schemes {
            for c in &s.0.criteria {
                read.extend(roundabout_api::facts::read_by(&c.rule).iter().map(|f| f.path));
            }
        }
        Ok(roundabout_api::facts::CATALOGUE
            .iter()
            .filter(|f| read.contains(&f.path))
            .map(|f| f.path.to_string())
            .collect())
    }

    /// Officer of the council: its households, in sign-up order, whose
    /// account email or name contains `search` (any case); all without it.
    #[graphql(complexity = "2 + first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn households(
        &self,
        ctx: &Context<'_>,
        search: Option<String>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<crate::schema::assisted::HouseholdConnection> {
        crate::schema::assisted::council_households(ctx, self.0.id, search, first, after).await
    }

    /// Officer of the council: what officers did for its households
    /// (assisted booking), newest first; only `householdId`'s when given.
    #[graphql(complexity = "2 + first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        household_id: Option<ID>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<crate::schema::assisted::AssistedActionConnection> {
        crate::schema::assisted::audit_log(ctx, self.0.id, household_id, first, after).await
    }

    /// Public, as the council's privacy notice states them: how long each
    /// kind of its records is kept, and which periods the council chose
    /// itself.
    #[graphql(complexity = "5 * child_complexity")]
    async fn retention(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::schema::retention::RetentionPeriod>> {
        crate::schema::retention::council_retention(ctx, self.0.id).await
    }
}

impl Council {
    /// Loads a council by id through the request's DataLoader; `None` if unknown.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Council>> {
        let r = RequestCtx::get(ctx);
        Ok(r.loaders.councils.load_one(id).await.map_err(load_error)?.map(Council))
    }
}

#[derive(Default)]
pub struct CouncilQuery;

#[Object]
impl CouncilQuery {
    /// Councils a household may sign up to (public).
    #[graphql(complexity = "5 * child_complexity")]
    async fn councils(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Council>> {
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        let rows: Vec<CouncilData> = g
            .services
            .eligibility
            .get(routes::eligibility::COUNCILS, &r.session.caller())
            .await
            .map_err(errors::read_error)?;
        Ok(rows.into_iter().map(Council).collect())
    }

    /// A council by id; null when there is none.
    async fn council(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Council>> {
        match parse_id(&id) {
            Some(id) => Council::load(ctx, id).await,
            None => Ok(None),
        }
    }
}

/// A new council, its boundary and its first officer.
#[derive(InputObject)]
pub struct CreateCouncilInput {
    /// The council's name.
    pub name: String,
    /// A short unique code, 2 to 16 letters, digits or hyphens.
    pub code: String,
    /// The council's area: a GeoJSON Polygon or MultiPolygon in WGS84.
    pub boundary: GeoJson,
    /// Email of the council's first officer.
    pub officer_email: String,
    /// Password of the council's first officer (at least 12 characters).
    pub officer_password: String,
}

/// The result of `createCouncil`.
#[derive(SimpleObject)]
pub struct CouncilPayload {
    /// The new council; null when refused.
    pub council: Option<Council>,
    /// Why the council was not created.
    pub user_errors: Vec<UserError>,
}

impl Refusable for CouncilPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            council: None,
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct CouncilMutation;

#[Object]
impl CouncilMutation {
    /// Admin only: creates a council with its boundary and first officer.
    async fn create_council(
        &self,
        ctx: &Context<'_>,
        input: CreateCouncilInput,
    ) -> async_graphql::Result<CouncilPayload> {
        let r = RequestCtx::get(ctx);
        let principal = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
        if !principal.is_admin() {
            return Err(errors::forbidden("Only platform administrators may create councils"));
        }
        payload(create_council(ctx, input).await)
    }
}

async fn create_council(ctx: &Context<'_>, input: CreateCouncilInput) -> Result<CouncilPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let email = Email::parse(&input.officer_email).map_err(|e| {
        Failure::user(UserError::new(ErrorCode::InvalidInput, e.body.message).at(["input", "officerEmail"]))
    })?;
    password::check_policy(&input.officer_password).map_err(|e| {
        Failure::user(UserError::new(ErrorCode::InvalidInput, e.body.message).at(["input", "officerPassword"]))
    })?;
    if accounts::db::email_taken(&g.pool, email.as_str()).await? {
        return Err(Failure::user(
            UserError::new(ErrorCode::EmailTaken, "An account with this email already exists")
                .at(["input", "officerEmail"]),
        ));
    }
    let hash = g.hasher.hash(input.officer_password).await?.map_err(|_| {
        Failure::Fatal(crate::schema::errors::coded(
            ErrorCode::ServiceBusy,
            "Too many passwords are being set right now. Wait a moment and try again.",
        ))
    })?;
    let id = Uuid::new_v4();
    let council: CouncilData = g
        .services
        .eligibility
        .post(
            routes::eligibility::COUNCILS,
            &CouncilIn {
                id,
                name: input.name.clone(),
                code: input.code.clone(),
                boundary: input.boundary.0.clone(),
            },
            &r.session.caller(),
        )
        .await?;
    let mut tx = g.pool.begin().await?;
    let officer_id = Uuid::new_v4();
    if let Err(e) = accounts::db::insert_user(&mut tx, officer_id, email.as_str(), &hash, None).await {
        if roundabout_support::error::violated_constraint(&e) == Some("users_email_key") {
            return Err(Failure::user(
                UserError::new(ErrorCode::EmailTaken, "An account with this email already exists")
                    .at(["input", "officerEmail"]),
            ));
        }
        return Err(e.into());
    }
    accounts::db::add_membership(&mut tx, officer_id, NewMembership::Officer { council_id: council.id }).await?;
    tx.commit().await?;
    tracing::info!(council = %council.id, officer = %officer_id, "council created with its first officer");
    Ok(CouncilPayload {
        council: Some(Council(council)),
        user_errors: Vec::new(),
    })
}
