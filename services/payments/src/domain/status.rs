//! Payment states and methods as stored and as the API speaks them.

use serde::{Deserialize, Serialize};

/// Where a booking's payment stands (the contract's `PaymentStatus`, plus
/// `PENDING` while the outcome of a processor call is not yet known).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PaymentStatus {
    Pending,
    RequiresAction,
    Authorised,
    Captured,
    PartiallyRefunded,
    Refunded,
    Failed,
    Cancelled,
    NotRequired,
}

impl PaymentStatus {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::RequiresAction => "REQUIRES_ACTION",
            Self::Authorised => "AUTHORISED",
            Self::Captured => "CAPTURED",
            Self::PartiallyRefunded => "PARTIALLY_REFUNDED",
            Self::Refunded => "REFUNDED",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
            Self::NotRequired => "NOT_REQUIRED",
        }
    }

    pub fn from_db(s: &str) -> Option<Self> {
        Some(match s {
            "PENDING" => Self::Pending,
            "REQUIRES_ACTION" => Self::RequiresAction,
            "AUTHORISED" => Self::Authorised,
            "CAPTURED" => Self::Captured,
            "PARTIALLY_REFUNDED" => Self::PartiallyRefunded,
            "REFUNDED" => Self::Refunded,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            "NOT_REQUIRED" => Self::NotRequired,
            _ => return None,
        })
    }

    /// Money has been taken (or invoiced) and may be refunded.
    pub fn is_settled(self) -> bool {
        matches!(self, Self::Captured | Self::PartiallyRefunded | Self::Refunded)
    }
}

/// How the household pays its share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Method {
    Card,
    Invoice,
    None,
}

impl Method {
    pub fn as_db(self) -> &'static str {
        match self {
            Self::Card => "CARD",
            Self::Invoice => "INVOICE",
            Self::None => "NONE",
        }
    }

    pub fn from_db(s: &str) -> Option<Self> {
        Some(match s {
            "CARD" => Self::Card,
            "INVOICE" => Self::Invoice,
            "NONE" => Self::None,
            _ => return None,
        })
    }
}
