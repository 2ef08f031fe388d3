//! What the eligibility service's routes take: the JSON bodies and query
//! strings its callers (the gateway, bookings) send. Each is checked by the
//! service's handler.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Pence;

pub use crate::common::{BatchIn, ContactIn};

/// `POST /internal/councils`: an admin creates a council (idempotent by id).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouncilIn {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    /// A GeoJSON polygon or multipolygon.
    pub boundary: serde_json::Value,
}

/// `PUT /internal/councils/{id}/details`: every detail a council's officers
/// give for residents: the [`ContactIn`] for questions about its schemes,
/// its data protection officer, its postal address and its accessibility
/// contact. Each part may be absent or null; empty (after trimming) clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouncilDetailsIn {
    #[serde(flatten)]
    pub contact: ContactIn,
    /// A name or a role ("Data Protection Officer").
    pub data_protection_officer: Option<String>,
    pub data_protection_email: Option<String>,
    pub postal_address: Option<String>,
    pub accessibility_email: Option<String>,
    pub accessibility_phone: Option<String>,
}

/// `POST /internal/zones`: an officer draws a zone in their council.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ZoneIn {
    pub council_id: Uuid,
    pub name: String,
    /// A GeoJSON polygon or multipolygon.
    pub geometry: serde_json::Value,
}

/// `PUT /internal/households/{id}`: joins a household to a council at
/// sign-up.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HouseholdIn {
    pub council_id: Uuid,
}

/// `POST /internal/postcodes/councils`: the postcode travels in the body so
/// that request logs never hold it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostcodeIn {
    pub postcode: String,
}

/// `POST /internal/councils/{id}/postcodes`: a postcode lookup file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostcodesImportIn {
    /// `postcode,lat,lon` rows.
    pub csv: String,
}

/// `POST /internal/schemes/{id}/test-cases`: a test case for a draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TestCaseIn {
    pub name: String,
    /// `{"household": {…}}`, or a string holding it as JSON text.
    pub facts: serde_json::Value,
    pub expect_eligible: bool,
}

/// `POST /internal/schemes/{id}/simulate`: what the run changes; each
/// given value replaces the scheme's. Unknown fields are refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct SimulationIn {
    pub income_limit_pence: Option<Pence>,
    pub percent_basis_points: Option<i32>,
    pub cap_per_booking_pence: Option<Pence>,
}

/// `GET /internal/councils/{id}/schemes?status=`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SchemesQuery {
    /// A scheme status word; every status an officer may see when absent.
    pub status: Option<String>,
}

/// `GET /internal/households/{id}/offer-terms?kind=`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OfferTermsQuery {
    /// `HIRE` or `LEASE`.
    pub kind: String,
}

/// `POST /internal/subsidy/quote`: the subsidy each price would get.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct QuoteIn {
    pub household_id: Uuid,
    /// `HIRE` or `LEASE`.
    pub kind: String,
    /// LEASE: the term in months (1..=36); the base prices are whole terms.
    #[serde(default)]
    pub lease_months: Option<i32>,
    /// Base prices, e.g. one per offer.
    pub base_prices: Vec<Pence>,
}

/// `POST /internal/budget/hold` and `…/commit`: a booking's subsidy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReserveIn {
    pub booking_id: Uuid,
    /// Needed unless the booking already has an allocation.
    #[serde(default)]
    pub scheme_id: Option<Uuid>,
    #[serde(default)]
    pub household_id: Option<Uuid>,
    #[serde(default)]
    pub amount_pence: Option<Pence>,
}

/// `POST /internal/budget/release`: gives a booking's subsidy back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReleaseIn {
    pub booking_id: Uuid,
}

impl SchemesQuery {
    /// The query string for the route (`?status=…`, or empty).
    pub fn to_query(&self) -> String {
        crate::common::query_string(&[("status", self.status.clone())])
    }
}

impl OfferTermsQuery {
    /// The query string for the route (`?kind=…`).
    pub fn to_query(&self) -> String {
        crate::common::query_string(&[("kind", Some(self.kind.clone()))])
    }
}

/// One criterion of a [`SchemeIn`], as the officer writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CriterionIn {
    pub id: String,
    pub label: String,
    /// A JSON Logic rule, or a string holding one as JSON text.
    pub rule: serde_json::Value,
    pub fail_text: String,
}

/// What a [`SchemeIn`] pays.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SubsidyIn {
    /// The share of the price paid (2500 = 25%).
    pub percent_basis_points: i64,
    /// The most paid per booking (per month for a lease).
    pub cap_per_booking_pence: Option<Pence>,
}

/// `POST /internal/schemes` and `PUT /internal/schemes/{id}`: a scheme
/// draft's content (`createScheme`, `updateScheme`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SchemeIn {
    pub council_id: Uuid,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub zone_ids: Option<Vec<Uuid>>,
    pub criteria: Vec<CriterionIn>,
    pub subsidy: SubsidyIn,
    /// Booking kind words (`HIRE`, `LEASE`).
    pub applies_to: Vec<String>,
    pub budget_pence: Pence,
    #[serde(default)]
    pub effective_from: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default)]
    pub effective_to: Option<chrono::DateTime<chrono::Utc>>,
}

/// What a household needs from a vehicle (in [`ProfileIn`] and [`CheckIn`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NeedsIn {
    pub seats: i32,
    pub wheelchair_accessible: bool,
    pub electric_preferred: bool,
}

/// An income given as a band rather than a figure: from `from_pence`
/// (inclusive) to below `below_pence`; either end may be open.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IncomeBandIn {
    #[serde(default)]
    pub from_pence: Option<Pence>,
    #[serde(default)]
    pub below_pence: Option<Pence>,
}

/// `PUT /internal/households/{id}/profile`: the household's facts
/// (`updateHouseholdProfile`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProfileIn {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub postcode: Option<String>,
    pub members: i32,
    #[serde(default)]
    pub annual_income_pence: Option<Pence>,
    /// The band the income was given as (`annual_income_pence` is then a
    /// figure inside it); none when the figure itself was given.
    #[serde(default)]
    pub income_band: Option<IncomeBandIn>,
    pub cars_owned: i32,
    pub blue_badge: bool,
    #[serde(default)]
    pub benefits: Option<Vec<String>>,
    #[serde(default)]
    pub lead_age: Option<i32>,
    pub needs: NeedsIn,
}

/// `POST /internal/councils/{id}/eligibility/check`: a household's facts as
/// the public checker asks them (a profile's, with a postcode in place of a
/// location).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CheckIn {
    #[serde(default)]
    pub postcode: Option<String>,
    pub members: i32,
    #[serde(default)]
    pub annual_income_pence: Option<Pence>,
    #[serde(default)]
    pub income_band: Option<IncomeBandIn>,
    pub cars_owned: i32,
    pub blue_badge: bool,
    #[serde(default)]
    pub benefits: Option<Vec<String>>,
    #[serde(default)]
    pub lead_age: Option<i32>,
    pub needs: NeedsIn,
}
