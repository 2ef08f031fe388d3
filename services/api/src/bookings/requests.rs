//! What the bookings service's routes take: the JSON bodies and query
//! strings its callers send. Each is checked by the service's handler.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::states::PaymentState;

pub use crate::common::BatchIn;

/// What is being booked or offered, as the request says it (flattened into
/// [`BookIn`] and [`OffersIn`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PeriodIn {
    /// `HIRE` or `LEASE`.
    pub kind: String,
    pub start: DateTime<Utc>,
    /// A hire's end; a lease's follows from `lease_months`.
    pub end: Option<DateTime<Utc>>,
    pub lease_months: Option<i32>,
}

/// `POST /internal/bookings`: books a vehicle.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BookIn {
    /// The household booking; must be the caller's own.
    pub household_id: Uuid,
    pub vehicle_id: Uuid,
    #[serde(flatten)]
    pub period: PeriodIn,
    pub payment_method: Option<String>,
    pub idempotency_key: String,
}

/// A place.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
}

/// `POST /internal/offers`: what the household asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OffersIn {
    pub household_id: Uuid,
    #[serde(flatten)]
    pub period: PeriodIn,
    /// Where to search from; the household's home when absent.
    pub near: Option<Point>,
    pub radius_km: Option<f64>,
    pub seats: Option<i32>,
    pub wheelchair_accessible: Option<bool>,
    pub electric_only: Option<bool>,
    /// How many offers at most.
    pub first: Option<usize>,
}

/// `POST /internal/bookings/{id}/cancel`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CancelIn {
    pub reason: Option<String>,
}

/// `GET /internal/{households,providers}/{id}/bookings?first=&after=`: one
/// page of bookings, newest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PageIn {
    /// How many (default 20).
    pub first: Option<i64>,
    /// The `list_seq` of the last booking of the previous page.
    pub after: Option<i64>,
}

/// `GET /internal/councils/{id}/report?from=&to=`: the period a council's
/// spend report covers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReportIn {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// `POST /internal/payment-events`: payments tells bookings that a
/// booking's payment changed (from its outbox).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentEventIn {
    pub booking_id: Uuid,
    pub status: PaymentState,
    pub failure_code: Option<String>,
}

impl PageIn {
    /// The query string for the route (`?first=…&after=…`, each when given).
    pub fn to_query(&self) -> String {
        crate::common::query_string(&[
            ("first", self.first.map(|f| f.to_string())),
            ("after", self.after.map(|a| a.to_string())),
        ])
    }
}

impl ReportIn {
    /// The query string for the route (`?from=…&to=…`, RFC 3339).
    pub fn to_query(&self) -> String {
        crate::common::query_string(&[
            ("from", Some(self.from.to_rfc3339())),
            ("to", Some(self.to.to_rfc3339())),
        ])
    }
}
