//! Zones: areas of a council drawn by its officers (`createZone`), listed
//! on `Council.zones` and used by schemes and household profiles.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::ErrorCode;
use uuid::Uuid;

use crate::{
    schema::{
        errors::{self, payload, Failure, Refusable, UserError},
        ids::parse_id,
        loaders::load_error,
        request::RequestCtx,
        scalars::GeoJson,
    },
    services::Gateway,
};
use roundabout_api::eligibility::{ZoneData, ZoneIn};
use roundabout_api::routes;

/// An area of a council, e.g. a town, drawn by its officers.
pub struct Zone(pub ZoneData);

#[Object]
impl Zone {
    /// The zone's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The zone's name, e.g. "Witney".
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The zone's area as a GeoJSON Polygon or MultiPolygon (WGS84).
    async fn geometry(&self) -> GeoJson {
        GeoJson(self.0.geometry.clone())
    }
}

/// A council's zones, by name (public).
pub async fn council_zones(ctx: &Context<'_>, council_id: Uuid) -> async_graphql::Result<Vec<Zone>> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let rows: Vec<ZoneData> = g
        .services
        .eligibility
        .get(&routes::eligibility::council_zones(council_id), &r.session.caller())
        .await
        .map_err(errors::read_error)?;
    Ok(rows.into_iter().map(Zone).collect())
}

/// Zones by id through the request's DataLoader, in the order asked.
pub async fn load_zones(ctx: &Context<'_>, ids: &[Uuid]) -> async_graphql::Result<Vec<Zone>> {
    let r = RequestCtx::get(ctx);
    let found = r
        .loaders
        .zones
        .load_many(ids.iter().copied())
        .await
        .map_err(load_error)?;
    Ok(ids.iter().filter_map(|id| found.get(id).cloned().map(Zone)).collect())
}

/// A new zone of a council.
#[derive(InputObject)]
pub struct CreateZoneInput {
    /// The council the zone belongs to.
    pub council_id: ID,
    /// The zone's name, unique in the council.
    pub name: String,
    /// A GeoJSON Polygon or MultiPolygon inside or across the council's boundary.
    pub geometry: GeoJson,
}

/// The result of `createZone`.
#[derive(SimpleObject)]
pub struct ZonePayload {
    /// The new zone; null when refused.
    pub zone: Option<Zone>,
    /// Why the zone was not created.
    pub user_errors: Vec<UserError>,
}

impl Refusable for ZonePayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            zone: None,
            user_errors,
        }
    }
}

#[derive(Default)]
pub struct ZoneMutation;

#[Object]
impl ZoneMutation {
    /// Officer of the council: draws a zone inside the council's boundary.
    async fn create_zone(&self, ctx: &Context<'_>, input: CreateZoneInput) -> async_graphql::Result<ZonePayload> {
        let council_id = require_officer_of(ctx, &input.council_id)?;
        payload(create_zone(ctx, council_id, input).await)
    }
}

/// The council id, if the signed-in user is an officer of it (or an admin);
/// UNAUTHENTICATED without a user, FORBIDDEN otherwise.
pub fn require_officer_of(ctx: &Context<'_>, council_id: &ID) -> async_graphql::Result<Option<Uuid>> {
    let r = RequestCtx::get(ctx);
    let p = r.session.0.as_ref().ok_or_else(errors::unauthenticated)?;
    let id = parse_id(council_id);
    let allowed = p.is_admin() || id.is_some_and(|id| p.officer_of.contains(&id));
    if !allowed {
        return Err(errors::forbidden("Only officers of this council may do this"));
    }
    Ok(id)
}

async fn create_zone(
    ctx: &Context<'_>,
    council_id: Option<Uuid>,
    input: CreateZoneInput,
) -> Result<ZonePayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let council_id = council_id.ok_or_else(|| {
        Failure::user(
            UserError::new(ErrorCode::NotFound, "There is no council with this id").at(["input", "councilId"]),
        )
    })?;
    let zone: ZoneData = g
        .services
        .eligibility
        .post(
            routes::eligibility::ZONES,
            &ZoneIn {
                council_id,
                name: input.name.clone(),
                geometry: input.geometry.0.clone(),
            },
            &r.session.caller(),
        )
        .await?;
    Ok(ZonePayload {
        zone: Some(Zone(zone)),
        user_errors: Vec::new(),
    })
}
