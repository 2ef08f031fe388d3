//! The inventory service's answers as they travel to the gateway: providers
//! and vehicles.

mod requests;
pub use requests::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    states::{Propulsion, ProviderStatus, VehicleKind, VehicleStatus},
    HasId, Pence, RowErrorData,
};

/// A provider organisation as the inventory service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProviderData {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// How households reach it (`schema::contacts`).
    #[serde(default)]
    pub pickup_address: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
}

impl HasId for ProviderData {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// A vehicle as the inventory service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VehicleData {
    pub id: Uuid,
    pub provider_id: Uuid,
    pub list_seq: i64,
    pub kind: VehicleKind,
    pub make: String,
    pub model: String,
    pub registration: Option<String>,
    pub seats: i32,
    pub propulsion: Propulsion,
    pub range_km: Option<i32>,
    pub co2_grams_per_km: Option<i32>,
    pub wheelchair_accessible: bool,
    pub lat: f64,
    pub lon: f64,
    pub status: VehicleStatus,
    pub currency: String,
    pub per_hour_pence: Option<Pence>,
    pub per_day_pence: Option<Pence>,
    pub per_month_lease_pence: Option<Pence>,
    pub deposit_pence: Pence,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl HasId for VehicleData {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// One page of a provider's fleet, in the order its vehicles were added.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FleetPage {
    pub items: Vec<VehicleData>,
    pub total_count: i64,
    pub has_next_page: bool,
}

/// A provider's standing in one council (an approval), as inventory returns
/// it when a provider applies, is approved, suspended or listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ApprovalData {
    pub provider_id: Uuid,
    pub council_id: Uuid,
    pub status: ProviderStatus,
    pub applied_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A provider with its standing in one council (a council's providers).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouncilProviderData {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub pickup_address: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    #[serde(default)]
    pub contact_email: Option<String>,
    pub status: ProviderStatus,
}

/// One hit of a geo search: a vehicle and how far it is, in km. `V` is
/// the vehicle: [`VehicleData`] for readers; inventory serialises its
/// index's shared rows in the same shape without copying them, and the
/// offers broker passes a hit's vehicle on as the JSON text it came as.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SearchHit<V = VehicleData> {
    pub vehicle: V,
    pub distance_km: f64,
}

/// A geo search's answer, nearest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SearchResults<V = VehicleData> {
    pub results: Vec<SearchHit<V>>,
}

/// A fleet import's answer (`POST /internal/vehicles/import`): the vehicles
/// added, or, when the file is refused (nothing imported), every row's
/// problem.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ImportData {
    pub imported: u64,
    pub vehicle_ids: Vec<Uuid>,
    pub errors: Vec<RowErrorData>,
}
