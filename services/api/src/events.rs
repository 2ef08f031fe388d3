//! Events a service publishes about what happened (a booking confirmed, a
//! booking cancelled), read by the gateway's notifications module.
//!
//! A service writes each event into its own `events` table in the same
//! transaction as the change it describes — for bookings, a trigger on
//! the booking's status — so an event exists exactly when its change does.
//! The gateway collects them: `GET /internal/events` answers the oldest
//! events not yet taken ([`EventsPage`]), and `POST /internal/events/ack`
//! ([`EventsAck`]) marks those the gateway has recorded. The gateway
//! records each event id once, so an event answered twice (a crash before
//! the acknowledgement, two gateway replicas) is harmless. The service
//! depends on nobody: it never calls the gateway.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    states::{BookingKind, BookingStatus},
    Pence,
};

/// The most events one `GET /internal/events` answers.
pub const MAX_PAGE: i64 = 200;

/// What happened, as stored in `events.kind`.
pub mod kinds {
    /// A booking was paid (or put on invoice) and its subsidy committed.
    pub const BOOKING_CONFIRMED: &str = "BOOKING_CONFIRMED";
    /// A booking was cancelled and its refund made.
    pub const BOOKING_CANCELLED: &str = "BOOKING_CANCELLED";
    /// A hire's period ended.
    pub const BOOKING_COMPLETED: &str = "BOOKING_COMPLETED";
    /// A council approved a provider (inventory).
    pub const PROVIDER_APPROVED: &str = "PROVIDER_APPROVED";
    /// A council suspended a provider (inventory).
    pub const PROVIDER_SUSPENDED: &str = "PROVIDER_SUSPENDED";
    /// A lease's monthly instalment was taken (payments).
    pub const LEASE_INSTALMENT_PAID: &str = "LEASE_INSTALMENT_PAID";
    /// A lease's monthly instalment could not be taken (payments; once,
    /// at its first failure).
    pub const LEASE_INSTALMENT_FAILED: &str = "LEASE_INSTALMENT_FAILED";
    /// A scheme's committed subsidy reached 80 % or 100 % of its budget
    /// (eligibility).
    pub const SCHEME_BUDGET_COMMITTED: &str = "SCHEME_BUDGET_COMMITTED";
}

/// One event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EventData {
    /// Unique for ever: the gateway records each once.
    pub id: Uuid,
    /// One of [`kinds`].
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    /// What the event is about; for the booking events a [`BookingEvent`].
    pub payload: serde_json::Value,
}

/// `GET /internal/events?limit=N` (at most [`MAX_PAGE`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EventsQuery {
    pub limit: Option<i64>,
}

/// The oldest events not yet acknowledged, oldest first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EventsPage {
    pub events: Vec<EventData>,
}

/// `POST /internal/events/ack`: the events the gateway has recorded.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EventsAck {
    pub ids: Vec<Uuid>,
}

/// What `POST /internal/events/ack` answers: how many of the ids were
/// marked taken now (an id taken before, or unknown, is not counted).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AckData {
    pub taken: u64,
}

/// The payload of the booking events: the booking as it stood when its
/// status changed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BookingEvent {
    pub booking_id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub provider_id: Uuid,
    pub vehicle_id: Uuid,
    pub kind: BookingKind,
    pub lease_months: Option<i32>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    pub currency: String,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    /// The first instalment of a lease (its whole price otherwise).
    pub first_base_pence: Pence,
    pub first_subsidy_pence: Pence,
    /// `CARD` or `INVOICE`.
    pub payment_method: Option<String>,
    pub refund_pence: Option<Pence>,
}

impl BookingEvent {
    /// The reference people are shown: the id's first eight characters in
    /// capitals (`3F2A9C1B`), as on the booking pages.
    pub fn reference(&self) -> String {
        reference(self.booking_id)
    }

    /// What the household pays (of the first instalment, for a lease).
    pub fn household_pence(&self) -> Pence {
        self.first_base_pence - self.first_subsidy_pence
    }
}

/// The payload of `PROVIDER_APPROVED` and `PROVIDER_SUSPENDED`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProviderStandingEvent {
    pub provider_id: Uuid,
    pub council_id: Uuid,
    /// `APPROVED` or `SUSPENDED`.
    pub status: String,
}

/// The payload of `LEASE_INSTALMENT_PAID` and `LEASE_INSTALMENT_FAILED`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LeaseInstalmentEvent {
    pub booking_id: Uuid,
    pub household_id: Uuid,
    pub council_id: Uuid,
    pub provider_id: Uuid,
    /// The lease's month (2 onwards: the first is paid at booking).
    pub month: i32,
    pub due_at: DateTime<Utc>,
    /// What the household pays for the month.
    pub amount_pence: Pence,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    /// `CARD`, `INVOICE` or `NONE`.
    pub method: String,
}

/// The payload of `SCHEME_BUDGET_COMMITTED`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SchemeBudgetEvent {
    pub council_id: Uuid,
    pub line_id: Uuid,
    pub scheme_id: Uuid,
    pub scheme_name: String,
    /// 80 or 100.
    pub threshold_percent: i32,
    pub budget_pence: Pence,
    pub committed_pence: Pence,
}

/// A booking's reference as people are shown it.
pub fn reference(booking_id: Uuid) -> String {
    booking_id.simple().to_string()[..8].to_uppercase()
}
