//! The payments service's answers as they travel to the gateway: payments and
//! providers' payout accounts.

mod requests;
pub use requests::*;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    states::{BookingKind, InstalmentStatus, PaymentMethodKind, PaymentState},
    HasId, Pence,
};

/// A booking's payment as the payments service returns it (charging,
/// reading, batches, capture, release, refund).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentData {
    pub booking_id: Uuid,
    pub household_id: Uuid,
    pub provider_id: Uuid,
    pub council_id: Uuid,
    pub kind: BookingKind,
    pub method: PaymentMethodKind,
    pub status: PaymentState,
    pub currency: String,
    pub base_pence: Pence,
    pub subsidy_pence: Pence,
    pub amount_pence: Pence,
    pub platform_fee_pence: Pence,
    pub refunded_pence: Pence,
    /// For the paying household while the payment needs its action.
    pub client_secret: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub stripe_intent_id: Option<String>,
    pub destination_account: Option<String>,
    pub instalments: Vec<InstalmentData>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One monthly instalment of a lease.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InstalmentData {
    pub month: i32,
    pub due_at: DateTime<Utc>,
    pub amount_pence: Pence,
    pub status: InstalmentStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
}

impl HasId for PaymentData {
    fn id(&self) -> Uuid {
        self.booking_id
    }
}

/// Whether a provider's connected account can receive payouts (from payments).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PayoutsData {
    pub provider_id: Uuid,
    pub payouts_enabled: bool,
}

impl HasId for PayoutsData {
    fn id(&self) -> Uuid {
        self.provider_id
    }
}

/// A Stripe Connect onboarding link for a provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct OnboardingData {
    pub url: String,
}
