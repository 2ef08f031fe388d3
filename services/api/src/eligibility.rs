//! The eligibility service's answers as they travel to the gateway: councils,
//! zones and scheme versions.

mod requests;
pub use requests::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    states::{BookingKind, SchemeStatus},
    HasId, Pence, RowErrorData,
};

/// A council as the eligibility service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouncilData {
    pub id: Uuid,
    pub name: String,
    pub code: String,
    pub boundary: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// How residents reach the council (`schema::contacts`).
    #[serde(default)]
    pub contact_email: Option<String>,
    #[serde(default)]
    pub contact_phone: Option<String>,
    /// Who the council's privacy notice names as its data protection
    /// officer (a name or a role), and how to write to them.
    #[serde(default)]
    pub data_protection_officer: Option<String>,
    #[serde(default)]
    pub data_protection_email: Option<String>,
    /// The council's postal address (several lines).
    #[serde(default)]
    pub postal_address: Option<String>,
    /// Where residents report an accessibility problem.
    #[serde(default)]
    pub accessibility_email: Option<String>,
    #[serde(default)]
    pub accessibility_phone: Option<String>,
}

impl HasId for CouncilData {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// A zone as the eligibility service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ZoneData {
    pub id: Uuid,
    pub council_id: Uuid,
    pub name: String,
    pub geometry: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl HasId for ZoneData {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// A criterion as the eligibility service stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CriterionData {
    pub id: String,
    pub label: String,
    pub rule: serde_json::Value,
    pub fail_text: String,
}

/// A test case as the eligibility service stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TestCaseData {
    pub id: Uuid,
    pub scheme_id: Uuid,
    pub name: String,
    pub facts: serde_json::Value,
    pub expect_eligible: bool,
    pub last_result: Option<bool>,
    pub created_at: DateTime<Utc>,
}

/// A scheme version as the eligibility service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SchemeData {
    pub id: Uuid,
    /// The scheme all its versions share.
    pub line_id: Uuid,
    pub council_id: Uuid,
    pub version: i32,
    pub name: String,
    pub description: String,
    pub status: SchemeStatus,
    pub zone_ids: Vec<Uuid>,
    pub criteria: Vec<CriterionData>,
    pub percent_basis_points: i32,
    pub cap_per_booking_pence: Option<Pence>,
    pub applies_to: Vec<BookingKind>,
    pub budget_pence: Pence,
    pub committed_pence: Pence,
    /// Held for bookings being paid for.
    pub held_pence: Pence,
    pub remaining_pence: Pence,
    pub effective_from: Option<DateTime<Utc>>,
    pub effective_to: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    /// Only for officers of the council; empty otherwise.
    #[serde(default)]
    pub test_cases: Vec<TestCaseData>,
}

impl HasId for SchemeData {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// A household as the eligibility service returns it (registering, reading).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HouseholdData {
    pub id: Uuid,
    pub council_id: Uuid,
    pub created_at: DateTime<Utc>,
}

impl HasId for HouseholdData {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// A household's profile as the eligibility service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProfileData {
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub lat: f64,
    pub lon: f64,
    pub postcode: Option<String>,
    pub members: i32,
    pub annual_income_pence: Option<Pence>,
    /// The band the income was given as, if it was (either end may be open).
    #[serde(default)]
    pub income_band_from_pence: Option<Pence>,
    #[serde(default)]
    pub income_band_below_pence: Option<Pence>,
    pub cars_owned: i32,
    pub blue_badge: bool,
    pub benefits: Vec<String>,
    pub lead_age: Option<i32>,
    pub needs_seats: i32,
    pub needs_wheelchair_accessible: bool,
    pub needs_electric_preferred: bool,
    pub zone_ids: Vec<Uuid>,
    pub updated_at: DateTime<Utc>,
}

/// One criterion's result for a household, with its explanation; also how
/// eligibility stores a decision's reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CriterionResultData {
    pub criterion_id: String,
    pub label: String,
    pub passed: bool,
    pub explanation: String,
}

/// One scheme's decision for a household.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DecisionData {
    pub scheme: SchemeData,
    pub eligible: bool,
    pub reasons: Vec<CriterionResultData>,
}

/// The subsidy a scheme pays towards one base price.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SubsidyData {
    pub scheme_id: Uuid,
    pub scheme_version: i32,
    pub scheme_name: String,
    pub amount_pence: Pence,
    /// LEASE: the subsidy of each month (the amount is the whole term).
    pub per_month_pence: Option<Pence>,
}

/// One base price of a quote and its best subsidy.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct QuoteLineData {
    pub base_pence: Pence,
    /// None: no eligible scheme pays towards it.
    pub subsidy: Option<SubsidyData>,
}

/// A subsidy quote (`POST /internal/subsidy/quote`): one line per base price.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct QuoteData {
    pub quotes: Vec<QuoteLineData>,
    /// The zones the household lives in now (empty without a profile):
    /// bookings records them with the booking, for reports by zone.
    #[serde(default)]
    pub zone_ids: Vec<Uuid>,
}

/// What one eligible scheme pays towards a booking: a percentage of the
/// base price, a cap per booking (per month for a lease), and what is left
/// of its budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SchemeTerms {
    pub scheme_id: Uuid,
    pub scheme_version: i32,
    pub scheme_name: String,
    pub percent_basis_points: i32,
    pub cap_per_booking_pence: Option<Pence>,
    pub remaining_pence: Pence,
}

/// Where a household is and what it needs of a vehicle (its offer terms).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WhereaboutsData {
    pub lat: f64,
    pub lon: f64,
    pub needs_seats: i32,
    pub needs_wheelchair_accessible: bool,
    pub needs_electric_preferred: bool,
}

/// A household's offer terms: where it is, and the terms of each scheme in
/// effect for the kind that it is eligible for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OfferTermsData {
    /// None until the household has filled in its profile.
    pub profile: Option<WhereaboutsData>,
    pub schemes: Vec<SchemeTerms>,
}

/// The councils whose postcode lookup has a postcode, else its district
/// (`POST /internal/postcodes/councils`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostcodeCouncilsData {
    pub council_ids: Vec<Uuid>,
}

/// Where a postcode of a council is (`GET /internal/councils/{id}/postcodes/{postcode}`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LocationData {
    /// The entry found: the postcode itself or its district.
    pub postcode: String,
    pub lat: f64,
    pub lon: f64,
}

/// A simulation's answer (`POST /internal/schemes/{id}/simulate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SimulationData {
    /// Households of the council with a profile.
    pub households_evaluated: i64,
    /// Of those, the ones meeting every criterion and the zone restriction.
    pub eligible_households: i64,
    /// Estimated subsidy if each eligible household took one typical booking.
    pub estimated_subsidy_pence: Pence,
    /// Households failing each criterion (a household may fail several).
    pub failures_by_criterion: Vec<CriterionCountData>,
}

/// How many households of a simulation failed one criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CriterionCountData {
    /// The criterion's id (`zone` for the scheme's zone restriction).
    pub criterion_id: String,
    pub count: i64,
}

/// A postcode import's answer (`PUT /internal/councils/{id}/postcodes`):
/// how many postcodes were added or updated, or, when the file is refused
/// (nothing imported), every row's problem.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PostcodeImportData {
    pub imported_count: u64,
    pub errors: Vec<RowErrorData>,
}
