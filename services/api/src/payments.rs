//! The payments service's answers as they travel to the gateway: payments and
//! providers' payout accounts.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    states::{PaymentMethodKind, PaymentState},
    HasId,
};

/// A payment as the payments service returns it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PaymentData {
    pub booking_id: Uuid,
    pub household_id: Uuid,
    pub method: PaymentMethodKind,
    pub status: PaymentState,
    pub amount_pence: i64,
    pub refunded_pence: i64,
    pub client_secret: Option<String>,
}

impl HasId for PaymentData {
    fn id(&self) -> Uuid {
        self.booking_id
    }
}

/// Whether a provider's connected account can receive payouts (from payments).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PayoutsData {
    pub provider_id: Uuid,
    pub payouts_enabled: bool,
}

impl HasId for PayoutsData {
    fn id(&self) -> Uuid {
        self.provider_id
    }
}
