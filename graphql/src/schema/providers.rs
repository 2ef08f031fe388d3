//! Providers in councils: the Provider type, `applyToCouncil`,
//! `approveProvider`, `suspendProvider`, and `Council.providers` for officers.

use async_graphql::{Context, Object, SimpleObject, ID};
use roundabout_api::ErrorCode;
use uuid::Uuid;

use crate::schema::ids::parse_id;
use crate::{
    schema::{
        contacts::ProviderContact,
        councils::Council,
        errors::{self, payload, Failure, Refusable, UserError},
        loaders::load_error,
        pagination::{check_first, decode_cursor},
        request::RequestCtx,
        vehicles::{Vehicle, VehicleConnection},
    },
    services::Gateway,
};
use roundabout_api::inventory::{
    ApprovalData, CouncilProviderData, CouncilProvidersQuery, FleetPage, FleetQuery, ProviderData,
};
use roundabout_api::routes;

use roundabout_api::states::ProviderStatus;

/// Cursor kind of vehicles in a fleet.
pub const VEHICLE_CURSOR: &str = "vehicle";

/// A provider organisation: a car club, leasing firm or community transport group.
pub struct Provider(pub ProviderData);

impl Provider {
    async fn standings(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApprovalData>> {
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        g.services
            .inventory
            .get(&routes::inventory::provider_councils(self.0.id), &r.session.caller())
            .await
            .map_err(errors::read_error)
    }

    /// The provider's own members, admins, and officers of a council it applied to.
    async fn may_see_fleet(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let Some(p) = RequestCtx::get(ctx).session.0.clone() else {
            return Ok(false);
        };
        if p.provider_id == Some(self.0.id) || p.is_admin() {
            return Ok(true);
        }
        if p.officer_of.is_empty() {
            return Ok(false);
        }
        Ok(self
            .standings(ctx)
            .await?
            .iter()
            .any(|s| p.officer_of.contains(&s.council_id)))
    }
}

#[Object]
impl Provider {
    /// The provider's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The organisation's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Status in the council asked about (or the viewer's council); PENDING until approved.
    async fn status(&self, ctx: &Context<'_>, council_id: Option<ID>) -> async_graphql::Result<ProviderStatus> {
        let session = &RequestCtx::get(ctx).session;
        let council = match &council_id {
            Some(id) => parse_id(id),
            None => session
                .0
                .as_ref()
                .and_then(|p| p.officer_of.first().copied().or(p.household.map(|h| h.council_id))),
        };
        let Some(council) = council else {
            return Ok(ProviderStatus::Pending);
        };
        Ok(self
            .standings(ctx)
            .await?
            .into_iter()
            .find(|s| s.council_id == council)
            .map_or(ProviderStatus::Pending, |s| s.status))
    }

    /// Where households collect its vehicles and how they reach it: for its
    /// own members, admins and officers of councils it applied to; null for
    /// anyone else (a household reads it on its bookings).
    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ProviderContact>> {
        Ok(self.may_see_fleet(ctx).await?.then(|| ProviderContact::from(&self.0)))
    }

    /// Whether the provider can receive payouts (Stripe Connect onboarding done).
    async fn payouts_enabled(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        crate::schema::payouts::payouts_enabled(ctx, self.0.id).await
    }

    /// Councils where the provider is approved; its own members and admins
    /// also see those it applied to or was suspended in.
    #[graphql(complexity = "5 * child_complexity")]
    async fn councils(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Council>> {
        let session = &RequestCtx::get(ctx).session;
        let all = session
            .0
            .as_ref()
            .is_some_and(|p| p.provider_id == Some(self.0.id) || p.is_admin());
        let mut out = Vec::new();
        for s in self.standings(ctx).await? {
            if all || s.status == ProviderStatus::Approved {
                if let Some(c) = Council::load(ctx, s.council_id).await? {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// Provider and officers of its councils (officers see the bookings made in their councils).
    #[graphql(complexity = "2 + first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn bookings(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<crate::schema::bookings::BookingConnection> {
        if !self.may_see_fleet(ctx).await? {
            return Err(errors::forbidden(
                "Only the provider, admins and officers of its councils see its bookings",
            ));
        }
        crate::schema::bookings::bookings_page(ctx, routes::bookings::provider_bookings, self.0.id, first, after).await
    }

    /// The fleet in the order vehicles were added: the provider's members,
    /// admins and officers of councils it applied to.
    #[graphql(complexity = "2 + first.unwrap_or(20).clamp(0, 100) as usize * child_complexity")]
    async fn vehicles(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<VehicleConnection> {
        if !self.may_see_fleet(ctx).await? {
            return Err(errors::forbidden(
                "Only the provider, admins and officers of its councils see its fleet",
            ));
        }
        let first = check_first(first.unwrap_or(20))?;
        let after = after
            .map(|c| decode_cursor(VEHICLE_CURSOR, &c))
            .transpose()?
            .unwrap_or(0);
        let g = ctx.data_unchecked::<Gateway>();
        let r = RequestCtx::get(ctx);
        let page: FleetPage = g
            .services
            .inventory
            .get(
                &format!(
                    "{}{}",
                    routes::inventory::provider_vehicles(self.0.id),
                    FleetQuery {
                        first: Some(first.into()),
                        after: Some(after),
                    }
                    .to_query()
                ),
                &r.session.caller(),
            )
            .await
            .map_err(errors::read_error)?;
        let items = page.items.into_iter().map(|v| (v.list_seq, Vehicle(v))).collect();
        Ok(VehicleConnection::from_page(
            items,
            VEHICLE_CURSOR,
            page.has_next_page,
            page.total_count,
        ))
    }
}

impl Provider {
    /// Loads a provider by id through the request's DataLoader; `None` if unknown.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Provider>> {
        let r = RequestCtx::get(ctx);
        Ok(r.loaders
            .providers
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Provider))
    }
}

/// `Council.providers(status)`: officers of the council (and admins) only.
pub async fn council_providers(
    ctx: &Context<'_>,
    council_id: Uuid,
    status: Option<ProviderStatus>,
) -> async_graphql::Result<Vec<Provider>> {
    let r = RequestCtx::get(ctx);
    let p = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
    if !p.is_admin() && !p.officer_of.contains(&council_id) {
        return Err(errors::forbidden("Only officers of this council see its providers"));
    }
    let g = ctx.data_unchecked::<Gateway>();
    let query = CouncilProvidersQuery {
        status: status.map(|s| s.to_string()),
    }
    .to_query();
    let rows: Vec<CouncilProviderData> = g
        .services
        .inventory
        .get(
            &format!("{}{query}", routes::inventory::council_providers(council_id)),
            &r.session.caller(),
        )
        .await
        .map_err(errors::read_error)?;
    Ok(rows
        .into_iter()
        .map(|c| {
            Provider(ProviderData {
                id: c.id,
                name: c.name,
                created_at: c.created_at,
                pickup_address: c.pickup_address,
                contact_phone: c.contact_phone,
                contact_email: c.contact_email,
            })
        })
        .collect())
}

/// The result of a provider mutation.
#[derive(SimpleObject)]
pub struct ProviderPayload {
    /// The provider after the change; null when refused.
    pub provider: Option<Provider>,
    /// Why the change was refused; nothing was changed then.
    pub user_errors: Vec<UserError>,
}

impl Refusable for ProviderPayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            provider: None,
            user_errors,
        }
    }
}

fn not_found(what: &str, field: &str) -> Failure {
    Failure::user(UserError::new(ErrorCode::NotFound, format!("There is no {what} with this id")).at([field]))
}

/// Calls inventory, then answers with the provider as it now is.
async fn change(ctx: &Context<'_>, path: String, provider_id: Uuid) -> Result<ProviderPayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let _: serde_json::Value = g
        .services
        .inventory
        .post(&path, &serde_json::json!({}), &r.session.caller())
        .await
        .map_err(|e| match Failure::from(e) {
            Failure::User(mut u) => {
                // Inventory names path parameters; here they are arguments.
                u.field = u.field.map(|f| {
                    f.iter()
                        .filter(|s| *s != "input")
                        .map(|s| crate::schema::errors::camel(s))
                        .collect()
                });
                Failure::User(u)
            }
            other => other,
        })?;
    let provider = Provider::load(ctx, provider_id).await?;
    Ok(ProviderPayload {
        provider,
        user_errors: Vec::new(),
    })
}

async fn decide(
    ctx: &Context<'_>,
    council_id: ID,
    provider_id: ID,
    path: fn(Uuid, Uuid) -> String,
) -> async_graphql::Result<ProviderPayload> {
    let p = RequestCtx::get(ctx)
        .session
        .0
        .clone()
        .ok_or_else(errors::unauthenticated)?;
    let Some(council) = parse_id(&council_id) else {
        return payload(Err(not_found("council", "councilId")));
    };
    if !p.is_admin() && !p.officer_of.contains(&council) {
        return Err(errors::forbidden(
            "Only officers of this council may decide on its providers",
        ));
    }
    let Some(provider) = parse_id(&provider_id) else {
        return payload(Err(not_found("provider", "providerId")));
    };
    payload(change(ctx, path(council, provider), provider).await)
}

#[derive(Default)]
pub struct ProviderMutation;

#[Object]
impl ProviderMutation {
    /// Signed-in provider: applies to operate in a council (PENDING until an officer approves).
    async fn apply_to_council(&self, ctx: &Context<'_>, council_id: ID) -> async_graphql::Result<ProviderPayload> {
        let provider = crate::schema::request::provider_member(ctx)?;
        let Some(council) = parse_id(&council_id) else {
            return payload(Err(not_found("council", "councilId")));
        };
        payload(change(ctx, routes::inventory::provider_council(provider, council), provider).await)
    }

    /// Officer of the council: approves a provider that applied; its vehicles are then offered there.
    async fn approve_provider(
        &self,
        ctx: &Context<'_>,
        council_id: ID,
        provider_id: ID,
    ) -> async_graphql::Result<ProviderPayload> {
        decide(ctx, council_id, provider_id, |c, p| {
            routes::inventory::council_provider_approve(c, p)
        })
        .await
    }

    /// Officer of the council: suspends a provider; its vehicles stop being offered there.
    async fn suspend_provider(
        &self,
        ctx: &Context<'_>,
        council_id: ID,
        provider_id: ID,
    ) -> async_graphql::Result<ProviderPayload> {
        decide(ctx, council_id, provider_id, |c, p| {
            routes::inventory::council_provider_suspend(c, p)
        })
        .await
    }
}
