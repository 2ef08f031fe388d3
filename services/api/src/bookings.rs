//! The bookings service's answers as they travel to the gateway.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::states::{BookingKind, BookingStatus};

/// A booking as the bookings service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BookingData {
    pub id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub vehicle_id: Uuid,
    pub kind: BookingKind,
    pub lease_months: Option<i32>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub currency: String,
    pub base_pence: i64,
    pub subsidy_pence: i64,
    pub scheme_id: Option<Uuid>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub refund_pence: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub list_seq: i64,
}
