//! What the inventory service's routes take: the JSON bodies and query
//! strings its callers (the gateway, bookings) send. Each is checked by the
//! service's handler.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Pence;

pub use crate::common::{BatchIn, ContactIn};

/// `PUT /internal/providers/{id}`: creates a provider organisation at
/// sign-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProviderIn {
    pub name: String,
}

/// `PUT /internal/providers/{id}/contact`: where households collect the
/// provider's vehicles, and how they reach it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProviderContactIn {
    pub pickup_address: Option<String>,
    #[serde(flatten)]
    pub contact: ContactIn,
}

/// `GET /internal/councils/{council_id}/providers?status=`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouncilProvidersQuery {
    /// A provider standing (`PENDING`, `APPROVED`, `SUSPENDED`); every one
    /// when absent.
    pub status: Option<String>,
}

/// `POST /internal/vehicles/{id}/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StatusIn {
    /// `AVAILABLE`, `MAINTENANCE` or `RETIRED`.
    pub status: String,
}

/// `GET /internal/providers/{id}/vehicles?first=&after=`: one page of a
/// fleet.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FleetQuery {
    /// How many (0..=100, default 20).
    pub first: Option<i64>,
    /// The `list_seq` of the last vehicle of the previous page.
    pub after: Option<i64>,
}

/// Prices as a provider gives them; at least one rate is required.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PricingIn {
    pub per_hour_pence: Option<Pence>,
    pub per_day_pence: Option<Pence>,
    pub per_month_lease_pence: Option<Pence>,
    pub deposit_pence: Option<Pence>,
}

/// `POST /internal/vehicles/import`: a fleet file, all rows or none.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ImportIn {
    /// `csv` or `gbfs`.
    pub format: String,
    pub csv: Option<String>,
    pub vehicle_types: Option<serde_json::Value>,
    pub vehicle_status: Option<serde_json::Value>,
    /// For GBFS: the prices every imported vehicle gets.
    pub pricing: Option<PricingIn>,
}

/// `POST /internal/vehicles/search`: vehicles of a council near a place.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SearchIn {
    pub council_id: Uuid,
    pub lat: f64,
    pub lon: f64,
    /// Default 5.
    pub radius_km: Option<f64>,
    /// Default 20.
    pub limit: Option<usize>,
    /// At least this many seats.
    pub seats: Option<i32>,
    /// Only wheelchair-accessible vehicles when true.
    pub wheelchair_accessible: Option<bool>,
    /// Only ELECTRIC or ELECTRIC_ASSIST vehicles when true.
    pub electric_only: Option<bool>,
    /// A vehicle kind word.
    pub kind: Option<String>,
}

impl CouncilProvidersQuery {
    /// The query string for the route (`?status=…`, or empty).
    pub fn to_query(&self) -> String {
        crate::common::query_string(&[("status", self.status.clone())])
    }
}

impl FleetQuery {
    /// The query string for the route (`?first=…&after=…`, each when given).
    pub fn to_query(&self) -> String {
        crate::common::query_string(&[
            ("first", self.first.map(|f| f.to_string())),
            ("after", self.after.map(|a| a.to_string())),
        ])
    }
}

/// Where a vehicle is, as given.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LocationIn {
    pub lat: f64,
    pub lon: f64,
}

/// `POST /internal/vehicles` and `PUT /internal/vehicles/{id}`: a vehicle
/// as a provider describes it (also what each row of an import is read
/// into). Words and numbers as given; the service checks each.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct VehicleIn {
    /// A vehicle kind word.
    pub kind: String,
    pub make: String,
    pub model: String,
    pub registration: Option<String>,
    pub seats: i64,
    /// A propulsion word.
    pub propulsion: String,
    pub range_km: Option<i64>,
    pub co2_grams_per_km: Option<i64>,
    pub wheelchair_accessible: bool,
    pub location: LocationIn,
    pub pricing: PricingIn,
}
