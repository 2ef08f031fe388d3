//! Vehicles: `vehicle(id)`, and a provider's `addVehicle`, `updateVehicle`
//! and `setVehicleStatus`. Attributes follow GBFS v3 `vehicle_types`
//! (form factor, propulsion, range, CO2, accessibility).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use roundabout_api::graphql::CheckedInt;
use roundabout_api::ErrorCode;
use serde::Serialize;
use uuid::Uuid;

use crate::schema::{errors::refusal, request::provider_member};
use crate::{
    connection_types,
    schema::{
        errors::{self, payload, Failure, Refusable, UserError},
        ids::parse_id,
        loaders::load_error,
        providers::Provider,
        request::RequestCtx,
    },
    services::Gateway,
};
use roundabout_api::inventory::{LocationIn, PricingIn, StatusIn, VehicleData, VehicleIn};
use roundabout_api::routes;
use roundabout_api::Pence;

use roundabout_api::states::{Propulsion, VehicleKind, VehicleStatus};

pub use crate::schema::geo::{GeoPoint, GeoPointInput};

/// What a vehicle costs, in pence.
#[derive(SimpleObject, Debug, Clone)]
pub struct Pricing {
    /// ISO 4217 currency code, e.g. GBP.
    pub currency: String,
    /// Price per started hour of hire.
    pub per_hour_pence: Option<CheckedInt>,
    /// Price per started day of hire.
    pub per_day_pence: Option<CheckedInt>,
    /// Price per month of a lease.
    pub per_month_lease_pence: Option<CheckedInt>,
    /// Refundable deposit.
    pub deposit_pence: CheckedInt,
}

/// A vehicle a provider lists.
#[derive(Clone)]
pub struct Vehicle(pub VehicleData);

#[Object]
impl Vehicle {
    /// The vehicle's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The provider whose fleet the vehicle is in.
    async fn provider(&self, ctx: &Context<'_>) -> async_graphql::Result<Provider> {
        Provider::load(ctx, self.0.provider_id)
            .await?
            .ok_or_else(|| errors::coded(ErrorCode::NotFound, "The vehicle's provider no longer exists"))
    }

    /// What kind of vehicle it is.
    async fn kind(&self) -> VehicleKind {
        self.0.kind
    }

    /// The manufacturer, e.g. Renault.
    async fn make(&self) -> &str {
        &self.0.make
    }

    /// The model, e.g. Zoe.
    async fn model(&self) -> &str {
        &self.0.model
    }

    /// The registration plate; shown to the provider's members and admins only.
    async fn registration(&self, ctx: &Context<'_>) -> Option<&str> {
        let session = &RequestCtx::get(ctx).session;
        let own = session
            .0
            .as_ref()
            .is_some_and(|p| p.provider_id == Some(self.0.provider_id) || p.is_admin());
        if own {
            self.0.registration.as_deref()
        } else {
            None
        }
    }

    /// Seats, including the driver's (1 to 16).
    async fn seats(&self) -> i32 {
        self.0.seats
    }

    /// How the vehicle is powered.
    async fn propulsion(&self) -> Propulsion {
        self.0.propulsion
    }

    /// Range on a full charge or tank, in km.
    async fn range_km(&self) -> Option<i32> {
        self.0.range_km
    }

    /// Tailpipe CO2 emissions, in grams per km.
    async fn co2_grams_per_km(&self) -> Option<i32> {
        self.0.co2_grams_per_km
    }

    /// Whether a wheelchair user can travel in it.
    async fn wheelchair_accessible(&self) -> bool {
        self.0.wheelchair_accessible
    }

    /// Where the vehicle is.
    async fn location(&self) -> GeoPoint {
        GeoPoint {
            lat: self.0.lat,
            lon: self.0.lon,
        }
    }

    /// Whether it can be offered.
    async fn status(&self) -> VehicleStatus {
        self.0.status
    }

    /// What it costs.
    async fn pricing(&self) -> Pricing {
        let v = &self.0;
        Pricing {
            currency: v.currency.clone(),
            per_hour_pence: v.per_hour_pence.map(CheckedInt::from),
            per_day_pence: v.per_day_pence.map(CheckedInt::from),
            per_month_lease_pence: v.per_month_lease_pence.map(CheckedInt::from),
            deposit_pence: v.deposit_pence.into(),
        }
    }
}

connection_types!(VehicleConnection, VehicleEdge, Vehicle);

impl Vehicle {
    /// Loads a vehicle through the request's DataLoader; `None` if unknown.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Vehicle>> {
        let r = RequestCtx::get(ctx);
        Ok(r.loaders.vehicles.load_one(id).await.map_err(load_error)?.map(Vehicle))
    }
}

#[derive(Default)]
pub struct VehicleQuery;

#[Object]
impl VehicleQuery {
    /// A vehicle by id; null when there is none.
    async fn vehicle(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Vehicle>> {
        match parse_id(&id) {
            Some(id) => Vehicle::load(ctx, id).await,
            None => Ok(None),
        }
    }
}

/// Prices in pence; give at least one of per hour, per day or per lease month.
#[derive(InputObject, Debug, Clone, Default)]
pub struct PricingInput {
    /// Price per started hour of hire (1 to 100,000).
    pub per_hour_pence: Option<i32>,
    /// Price per started day of hire (1 to 500,000).
    pub per_day_pence: Option<i32>,
    /// Price per month of a lease (1 to 2,000,000).
    pub per_month_lease_pence: Option<i32>,
    /// Refundable deposit (0 to 1,000,000; default 0).
    pub deposit_pence: Option<i32>,
}

/// A vehicle as a provider describes it.
#[derive(InputObject, Debug, Clone)]
pub struct VehicleInput {
    /// What kind of vehicle it is.
    pub kind: VehicleKind,
    /// The manufacturer (1 to 100 characters).
    pub make: String,
    /// The model (1 to 100 characters).
    pub model: String,
    /// The registration plate; unique across Roundabout.
    pub registration: Option<String>,
    /// Seats, including the driver's (1 to 16).
    pub seats: i32,
    /// How the vehicle is powered.
    pub propulsion: Propulsion,
    /// Range on a full charge or tank, in km (0 to 2,000).
    pub range_km: Option<i32>,
    /// Tailpipe CO2 emissions in g/km (0 to 1,000).
    pub co2_grams_per_km: Option<i32>,
    /// Whether a wheelchair user can travel in it.
    pub wheelchair_accessible: bool,
    /// Where the vehicle is kept; in the UK when the provider's councils are.
    pub location: GeoPointInput,
    /// What it costs.
    pub pricing: PricingInput,
}

impl From<PricingInput> for PricingIn {
    fn from(p: PricingInput) -> Self {
        Self {
            per_hour_pence: p.per_hour_pence.map(Pence::from),
            per_day_pence: p.per_day_pence.map(Pence::from),
            per_month_lease_pence: p.per_month_lease_pence.map(Pence::from),
            deposit_pence: p.deposit_pence.map(Pence::from),
        }
    }
}

impl From<VehicleInput> for VehicleIn {
    fn from(i: VehicleInput) -> Self {
        Self {
            kind: i.kind.to_string(),
            make: i.make,
            model: i.model,
            registration: i.registration,
            seats: i.seats.into(),
            propulsion: i.propulsion.to_string(),
            range_km: i.range_km.map(i64::from),
            co2_grams_per_km: i.co2_grams_per_km.map(i64::from),
            wheelchair_accessible: i.wheelchair_accessible,
            location: LocationIn {
                lat: i.location.lat,
                lon: i.location.lon,
            },
            pricing: i.pricing.into(),
        }
    }
}

/// The result of a vehicle mutation.
#[derive(SimpleObject)]
pub struct VehiclePayload {
    /// The vehicle as stored; null when refused.
    pub vehicle: Option<Vehicle>,
    /// Why the change was refused; nothing was changed then.
    pub user_errors: Vec<UserError>,
}

impl Refusable for VehiclePayload {
    fn refused(user_errors: Vec<UserError>) -> Self {
        Self {
            vehicle: None,
            user_errors,
        }
    }
}

fn vehicle_id(id: &ID) -> Result<Uuid, Failure> {
    parse_id(id).ok_or_else(|| {
        Failure::user(UserError::new(ErrorCode::NotFound, "There is no vehicle with this id").at(["id"]))
    })
}

#[derive(Default)]
pub struct VehicleMutation;

#[Object]
impl VehicleMutation {
    /// Signed-in provider: lists a vehicle (AVAILABLE).
    async fn add_vehicle(&self, ctx: &Context<'_>, input: VehicleInput) -> async_graphql::Result<VehiclePayload> {
        provider_member(ctx)?;
        payload(
            write(
                ctx,
                reqwest::Method::POST,
                routes::inventory::VEHICLES.into(),
                &VehicleIn::from(input),
            )
            .await,
        )
    }

    /// Signed-in provider: replaces the description of one of its vehicles.
    async fn update_vehicle(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: VehicleInput,
    ) -> async_graphql::Result<VehiclePayload> {
        provider_member(ctx)?;
        let outcome = match vehicle_id(&id) {
            Ok(id) => {
                write(
                    ctx,
                    reqwest::Method::PUT,
                    routes::inventory::vehicle(id),
                    &VehicleIn::from(input),
                )
                .await
            }
            Err(e) => Err(e),
        };
        payload(outcome)
    }

    /// Signed-in provider: AVAILABLE, MAINTENANCE or RETIRED.
    async fn set_vehicle_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: VehicleStatus,
    ) -> async_graphql::Result<VehiclePayload> {
        provider_member(ctx)?;
        let outcome = match vehicle_id(&id) {
            Ok(id) => {
                write(
                    ctx,
                    reqwest::Method::POST,
                    routes::inventory::vehicle_status(id),
                    &StatusIn {
                        status: status.to_string(),
                    },
                )
                .await
            }
            Err(e) => Err(e),
        };
        payload(outcome)
    }
}

async fn write<B: Serialize>(
    ctx: &Context<'_>,
    method: reqwest::Method,
    path: String,
    body: &B,
) -> Result<VehiclePayload, Failure> {
    let g = ctx.data_unchecked::<Gateway>();
    let r = RequestCtx::get(ctx);
    let v: VehicleData = g
        .services
        .inventory
        .send(method, &path, Some(body), &r.session.caller(), None)
        .await
        .map_err(refusal)?;
    Ok(VehiclePayload {
        vehicle: Some(Vehicle(v)),
        user_errors: Vec::new(),
    })
}
