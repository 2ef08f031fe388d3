//! The bookings service's answers: a booking as every internal route that
//! returns one shows it, and a page of them.

mod requests;
pub use requests::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::states::{BookingKind, BookingStatus, PaymentState, SagaStep};

/// A booking as the bookings service returns it (`GET /internal/bookings/{id}`,
/// booking, cancelling, batches and pages).
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    pub base_pence: i64,
    pub subsidy_pence: i64,
    /// What the first payment covers (a lease's first month).
    pub first_base_pence: i64,
    pub first_subsidy_pence: i64,
    pub scheme_id: Option<Uuid>,
    pub scheme_version: Option<i32>,
    pub payment_method: Option<String>,
    pub payment_status: Option<PaymentState>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub refund_pence: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub list_seq: i64,
}

/// A page of a household's or a provider's bookings, newest first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BookingPage {
    pub bookings: Vec<BookingData>,
    pub total_count: i64,
    pub has_next_page: bool,
}
