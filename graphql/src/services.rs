//! Clients for the four services, and the gateway's shared state.

use roundabout_support::{client::ServiceClient, internal_auth::InternalAuth};
use sqlx::PgPool;

use crate::{
    accounts::{password::Hasher, tokens::TokenIssuer},
    config::{AbuseLimits, ServiceUrls},
};

/// A client per service.
#[derive(Clone, Debug)]
pub struct Services {
    pub inventory: ServiceClient,
    pub eligibility: ServiceClient,
    pub bookings: ServiceClient,
    pub payments: ServiceClient,
}

impl Services {
    pub fn new(urls: &ServiceUrls, auth: InternalAuth) -> Self {
        let http = ServiceClient::http_client();
        let c = |name: &'static str, url: &str| ServiceClient::new(name, url, auth.clone(), http.clone());
        Self {
            inventory: c("inventory", &urls.inventory),
            eligibility: c("eligibility", &urls.eligibility),
            bookings: c("bookings", &urls.bookings),
            payments: c("payments", &urls.payments),
        }
    }
}

/// What every resolver may use (schema data).
#[derive(Clone)]
pub struct Gateway {
    pub pool: PgPool,
    pub tokens: TokenIssuer,
    pub services: Services,
    /// Verified against for unknown emails, so sign-in timing does not tell.
    pub decoy_hash: String,
    /// Where users reach Roundabout (links handed to Stripe come back here).
    pub public_url: String,
    /// Password hashing within its concurrency limit.
    pub hasher: Hasher,
    /// Sign-in throttling and rate limits.
    pub abuse: AbuseLimits,
    /// Drives households' erasures (woken by a new request).
    pub eraser: crate::erasure::Eraser,
    /// True when messages go to the demo mailbox (development only), which
    /// `mailbox` then shows.
    pub mailbox: bool,
    /// Where people sign in, named in messages (`NOTIFY_SITE_URL`).
    pub site_url: String,
}
