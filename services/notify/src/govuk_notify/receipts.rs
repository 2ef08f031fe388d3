//! GOV.UK Notify's delivery receipts: the callback's bearer token, checked
//! in constant time, and its body.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::Delivery;

use super::delivery_from_status;

/// A delivery receipt Notify posted to the callback URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReceipt {
    /// Notify's notification id ([`crate::Sent::transport_id`]).
    pub transport_id: String,
    /// The `reference` sent: Roundabout's notification id.
    pub reference: Option<String>,
    pub to: String,
    /// Notify's status word (`delivered`, `permanent-failure`, …).
    pub status: String,
    pub delivery: Delivery,
    /// `email` or `sms`.
    pub notification_type: Option<String>,
}

/// Why a callback was turned away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the callback's bearer token is missing or wrong")]
    Unauthorised,
    #[error("the callback's body is not a Notify delivery receipt: {0}")]
    BadBody(String),
}

/// Whether the `Authorization` header is `Bearer <expected>`, compared in
/// constant time (over SHA-256 digests, so the length is not revealed
/// either). An empty expected token matches nothing.
pub fn callback_token_matches(expected: &str, authorization: Option<&str>) -> bool {
    let Some(given) = authorization.and_then(|h| h.strip_prefix("Bearer ")) else {
        return false;
    };
    if expected.is_empty() {
        return false;
    }
    let a = Sha256::digest(expected.as_bytes());
    let b = Sha256::digest(given.trim().as_bytes());
    a.ct_eq(&b).into()
}

#[derive(Deserialize)]
struct ReceiptBody {
    id: String,
    reference: Option<String>,
    #[serde(default)]
    to: String,
    status: String,
    notification_type: Option<String>,
}

/// Reads a delivery receipt's JSON body.
pub fn parse_delivery_receipt(body: &[u8]) -> Result<DeliveryReceipt, CallbackError> {
    let r: ReceiptBody = serde_json::from_slice(body).map_err(|e| CallbackError::BadBody(e.to_string()))?;
    if Uuid::parse_str(&r.id).is_err() {
        return Err(CallbackError::BadBody("id is not a UUID".into()));
    }
    Ok(DeliveryReceipt {
        delivery: delivery_from_status(&r.status),
        transport_id: r.id,
        reference: r.reference,
        to: r.to,
        status: r.status,
        notification_type: r.notification_type,
    })
}

/// Checks a delivery-receipt callback's token, then reads its body.
pub fn verify_delivery_receipt(
    expected_token: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<DeliveryReceipt, CallbackError> {
    if !callback_token_matches(expected_token, authorization) {
        return Err(CallbackError::Unauthorised);
    }
    parse_delivery_receipt(body)
}
