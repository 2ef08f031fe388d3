//! The eligibility service's answers as they travel to the gateway: councils,
//! zones and scheme versions.

mod requests;
pub use requests::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    states::{BookingKind, SchemeStatus},
    HasId,
};

/// A council as the eligibility service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
}

impl HasId for CouncilData {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// A zone as the eligibility service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
pub struct CriterionData {
    pub id: String,
    pub label: String,
    pub rule: serde_json::Value,
    pub fail_text: String,
}

/// A test case as the eligibility service stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    pub cap_per_booking_pence: Option<i64>,
    pub applies_to: Vec<BookingKind>,
    pub budget_pence: i64,
    pub committed_pence: i64,
    /// Held for bookings being paid for.
    pub held_pence: i64,
    pub remaining_pence: i64,
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
