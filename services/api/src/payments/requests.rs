//! What the payments service's routes take: the JSON bodies its callers
//! (bookings' saga, the gateway) send. Each is checked by the service.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Pence;

pub use crate::common::BatchIn;

/// `POST /internal/payments`: bookings asks to charge a booking's first
/// payment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ChargeIn {
    pub booking_id: Uuid,
    pub household_id: Uuid,
    pub provider_id: Uuid,
    pub council_id: Uuid,
    /// `HIRE` or `LEASE`.
    pub kind: String,
    /// The price of what this first payment covers (a hire, or a lease's first month).
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    /// A processor PaymentMethod id: confirm server-side.
    pub payment_method: Option<String>,
    /// Pay by card even without a payment method (the household confirms with the client secret).
    #[serde(default)]
    pub card: bool,
    /// For leases: the schedule of the months after the first.
    pub lease: Option<LeaseIn>,
    pub email: Option<String>,
}

/// A lease's monthly schedule (in [`ChargeIn`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LeaseIn {
    pub months: i32,
    pub start: DateTime<Utc>,
    pub monthly_base_pence: Pence,
    pub monthly_subsidy_pence: Pence,
}

/// `POST /internal/payments/{booking_id}/refund`: the refund on
/// cancellation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RefundIn {
    /// The household's refund under the cancellation policy (may be 0).
    pub amount_pence: Pence,
}

/// `POST /internal/providers/{id}/onboarding`: where the processor's
/// onboarding sends the provider back to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OnboardingIn {
    pub email: Option<String>,
    pub refresh_url: String,
    pub return_url: String,
}

/// `PUT /internal/councils/{id}/platform-fee`: a council's platform fee.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FeeIn {
    pub basis_points: i32,
}
