//! The payment processor: what payments needs from a card processor, as a
//! trait, so the service never calls an SDK directly. [`stripe::StripeProcessor`]
//! is the real adapter (async-stripe); [`fake::FakeProcessor`] is an in-process
//! stand-in for tests of the services built on top.
//!
//! Every write takes an idempotency key: the same key always means the same
//! operation, so a retry after a timeout or a crash can never act twice.

pub mod fake;
pub mod stripe;

use std::future::Future;
use std::pin::Pin;

/// A boxed future, so the trait can be used as `Arc<dyn PaymentProcessor>`.
pub type ProcessorFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ProcessorError>> + Send + 'a>>;

/// Why a processor call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessorError {
    /// The card was declined (`code` is the processor's decline code).
    #[error("card declined: {code}: {message}")]
    Declined { code: String, message: String },
    /// The processor refused the request as invalid; retrying will not help.
    #[error("refused by the processor: {0}")]
    Refused(String),
    /// The processor could not be reached or failed; retry with the same key.
    #[error("processor unavailable: {0}")]
    Unavailable(String),
}

impl ProcessorError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Where a PaymentIntent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    /// Needs the household (a payment method, or 3-D Secure).
    RequiresAction,
    /// Authorised, waiting for capture.
    RequiresCapture,
    Processing,
    Succeeded,
    Canceled,
    /// The last attempt failed; a new payment method is needed.
    Failed,
}

/// A PaymentIntent as the processor reports it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub status: IntentStatus,
    pub amount: i64,
    pub amount_received: i64,
    pub client_secret: Option<String>,
    /// The decline code of the last failed attempt.
    pub failure_code: Option<String>,
    pub latest_charge: Option<String>,
}

/// A request to charge a household.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntentRequest {
    pub amount: i64,
    /// ISO currency code, lower case (`gbp`).
    pub currency: String,
    pub customer: String,
    /// Confirm server-side with this payment method; without one the intent
    /// waits for the household (client secret).
    pub payment_method: Option<String>,
    /// Authorise now and capture later.
    pub manual_capture: bool,
    /// Charged without the household present (lease months).
    pub off_session: bool,
    /// A destination charge: the connected account and the platform's fee.
    pub destination: Option<Destination>,
    pub description: String,
    /// `booking_id` and the like, for reconciliation in the processor's dashboard.
    pub metadata: Vec<(String, String)>,
    pub transfer_group: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub account: String,
    pub application_fee: i64,
}

/// A refund as the processor reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundResult {
    pub id: String,
    pub amount: i64,
}

/// A connected (Connect express) account's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub charges_enabled: bool,
    pub payouts_enabled: bool,
}

/// What payments needs from a card processor.
pub trait PaymentProcessor: Send + Sync {
    fn create_customer<'a>(
        &'a self,
        email: Option<&'a str>,
        reference: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, String>;
    /// Deletes a customer and the cards saved under it (a household's
    /// erasure). A customer already deleted is not an error.
    fn delete_customer<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, ()>;
    fn create_intent<'a>(&'a self, req: &'a IntentRequest, key: &'a str) -> ProcessorFuture<'a, Intent>;
    fn retrieve_intent<'a>(&'a self, id: &'a str) -> ProcessorFuture<'a, Intent>;
    fn capture_intent<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, Intent>;
    fn cancel_intent<'a>(&'a self, id: &'a str, key: &'a str) -> ProcessorFuture<'a, Intent>;
    fn refund<'a>(&'a self, intent_id: &'a str, amount: i64, key: &'a str) -> ProcessorFuture<'a, RefundResult>;
    fn create_account<'a>(
        &'a self,
        email: Option<&'a str>,
        reference: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, Account>;
    fn retrieve_account<'a>(&'a self, id: &'a str) -> ProcessorFuture<'a, Account>;
    fn onboarding_link<'a>(
        &'a self,
        account: &'a str,
        refresh_url: &'a str,
        return_url: &'a str,
    ) -> ProcessorFuture<'a, String>;
    fn transfer<'a>(
        &'a self,
        amount: i64,
        currency: &'a str,
        destination: &'a str,
        group: &'a str,
        key: &'a str,
    ) -> ProcessorFuture<'a, String>;
}
