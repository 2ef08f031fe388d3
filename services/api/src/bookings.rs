//! The bookings service's answers: a booking as every internal route that
//! returns one shows it, a page of them, offers and a council's report.

mod requests;
pub use requests::*;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    inventory::VehicleData,
    states::{BookingKind, BookingStatus, PaymentState, ReportInterval, SagaStep},
    Pence,
};

/// A booking as the bookings service returns it (`GET /internal/bookings/{id}`,
/// booking, cancelling, batches and pages).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BookingData {
    pub id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub provider_id: Uuid,
    pub vehicle_id: Uuid,
    pub kind: BookingKind,
    pub lease_months: Option<i32>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    /// Whether the vehicle's calendar slot is still held for it.
    pub slot_held: bool,
    /// The saga's next step (`DONE` when nothing is left to do).
    pub step: SagaStep,
    /// What the saga will end the booking as, once decided.
    pub outcome: Option<BookingStatus>,
    pub attempts: i32,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub currency: String,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    /// What the first payment covers (a lease's first month).
    pub first_base_pence: Pence,
    pub first_subsidy_pence: Pence,
    pub scheme_id: Option<Uuid>,
    pub scheme_version: Option<i32>,
    pub payment_method: Option<String>,
    pub payment_status: Option<PaymentState>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub refund_pence: Option<Pence>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub list_seq: i64,
}

/// A page of a household's or a provider's bookings, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BookingPage {
    pub bookings: Vec<BookingData>,
    pub total_count: i64,
    pub has_next_page: bool,
}

/// One ranked offer (`POST /internal/offers`). `V` is the vehicle:
/// [`VehicleData`] for readers; the broker passes on inventory's JSON text
/// of it as it came.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OfferData<V = VehicleData> {
    pub vehicle: V,
    pub distance_km: f64,
    pub currency: String,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    pub household_pence: Pence,
    pub scheme_id: Option<Uuid>,
    pub score: f64,
    pub reasons: Vec<String>,
}

/// A council's report (`GET /internal/councils/{id}/report`): the totals of
/// the bookings made in the period, and their breakdowns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReportData {
    #[serde(flatten)]
    pub totals: TotalsData,
    pub by_scheme: Vec<SchemeLineData>,
    pub by_zone: Vec<ZoneLineData>,
    pub over_time: OverTimeData,
}

/// A report's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TotalsData {
    /// Bookings that stand.
    pub bookings: i64,
    /// Households with a booking that stands.
    pub households: i64,
    /// The whole price of the bookings that stand (a lease's whole term).
    pub gross_pence: Pence,
    /// The schemes' subsidy on them.
    pub subsidy_pence: Pence,
    /// The households' share of their price: `gross - subsidy`, paid or
    /// still to pay (an invoice, a lease's later months).
    pub household_paid_pence: Pence,
    /// Bookings cancelled after they were confirmed.
    pub cancelled_bookings: i64,
    /// What households had paid for those and got back.
    pub refunded_pence: Pence,
    /// What households had paid for those and did not get back (a
    /// cancellation less than 24 hours before the start).
    pub cancellation_charges_pence: Pence,
}

/// One scheme's bookings in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SchemeLineData {
    pub scheme_id: Uuid,
    pub bookings: i64,
    pub subsidy_pence: Pence,
}

/// One zone's bookings in a report; counts from 1 to 9 are withheld.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ZoneLineData {
    /// None: outside every zone of the council.
    pub zone_id: Option<Uuid>,
    pub bookings: Option<i64>,
    pub households: Option<i64>,
    pub subsidy_pence: Pence,
}

/// One day, week or month of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PointData {
    /// The first UK day of the day, week (from Monday) or month.
    pub start: NaiveDate,
    pub bookings: Option<i64>,
    pub subsidy_pence: Pence,
    /// Committed before the period plus every point up to this one.
    pub spent_to_date_pence: Pence,
}

/// A report's subsidy over time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OverTimeData {
    pub interval: ReportInterval,
    /// Subsidy of the council's bookings made before the period and not cancelled.
    pub spent_before_pence: Pence,
    pub points: Vec<PointData>,
}

/// What `POST /internal/payment-events` answers: taken, and whether its
/// idempotency key had been seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentEventReceiptData {
    pub received: bool,
    pub duplicate: bool,
}
