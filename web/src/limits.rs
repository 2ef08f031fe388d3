//! Request-rate limits per visitor, answered with "Too many requests".
//!
//! Two budgets per visitor's address ([`crate::client`]), each a GCRA token
//! bucket from the `governor` crate: page views and other forms share a
//! generous one (many residents may share one address: a library, a mobile
//! carrier), and the forms that check or set a password — `POST` to
//! `/sign-in`, `/sign-up`, `/provider/sign-up` and `/account/password` — a
//! strict one, so one address cannot guess passwords quickly however many
//! accounts it tries (the gateway also limits each account). Assets and the
//! health probes are not counted. IPv6 visitors are counted by their /64,
//! which one household or device usually holds whole.
//!
//! Over the limit, the answer is `429 Too Many Requests` with `Retry-After`
//! and a plain page saying how long to wait.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{
    body::Body,
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};

use crate::{client::Forwarded, error::PageError, AppState};

/// A budget: a sustained rate and how many requests may come at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests a minute, sustained.
    pub per_minute: NonZeroU32,
    /// Requests allowed in a burst (the bucket's size).
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `per_minute` sustained with bursts of `burst` (each at least 1).
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN),
        }
    }

    fn quota(self) -> Quota {
        Quota::per_minute(self.per_minute).allow_burst(self.burst)
    }
}

/// The front end's limits per visitor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Page views and forms other than those of [`RateLimits::sign_in`].
    pub pages: RateLimit,
    /// Signing in, signing up (households and providers), changing a password.
    pub sign_in: RateLimit,
}

impl Default for RateLimits {
    /// 600 pages a minute with bursts of 300, and 10 sign-ins a minute with
    /// bursts of 30: a busy person views a few pages a minute, so a whole
    /// library's computers behind one address fit easily, and a room of
    /// residents can all sign in at once.
    fn default() -> Self {
        Self {
            pages: RateLimit::new(600, 300),
            sign_in: RateLimit::new(10, 30),
        }
    }
}

/// Which budget a request draws on, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    Pages,
    SignIn,
}

/// The forms that take a password.
const PASSWORD_FORMS: [&str; 4] = ["/sign-in", "/sign-up", "/provider/sign-up", "/account/password"];

/// The budget of a request to `path` with `method` (`None`: not counted).
pub fn budget(method: &Method, path: &str) -> Option<Budget> {
    if path.starts_with("/assets/") || path == "/healthz" || path == "/readyz" {
        return None;
    }
    if *method == Method::POST && PASSWORD_FORMS.contains(&path) {
        return Some(Budget::SignIn);
    }
    Some(Budget::Pages)
}

/// The key a visitor is counted under: its address, or its /64 for IPv6.
fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & (u128::MAX << 64)).into()),
        v4 => v4,
    }
}

/// Forgets idle visitors every this many requests, so memory stays bounded.
const SWEEP_EVERY: u64 = 4096;

/// The limiters, shared by every request of the front end.
pub struct Limiter {
    pages: DefaultKeyedRateLimiter<IpAddr>,
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    seen: AtomicU64,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            pages: DefaultKeyedRateLimiter::keyed(limits.pages.quota()),
            sign_in: DefaultKeyedRateLimiter::keyed(limits.sign_in.quota()),
            seen: AtomicU64::new(0),
        }
    }

    /// Counts a request of `visitor` against `budget`: `Err(wait)` when over.
    pub fn check(&self, budget: Budget, visitor: IpAddr) -> Result<(), Duration> {
        if self.seen.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.pages.retain_recent();
            self.sign_in.retain_recent();
        }
        let limiter = match budget {
            Budget::Pages => &self.pages,
            Budget::SignIn => &self.sign_in,
        };
        limiter
            .check_key(&key(visitor))
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }
}

/// Refuses a request over its visitor's budget with 429 and `Retry-After`.
pub async fn layer(State(state): State<AppState>, req: Request<Body>, next: Next) -> Response {
    let Some(budget) = budget(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let Some(visitor) = req.extensions().get::<Forwarded>().map(|f| f.client) else {
        return next.run(req).await;
    };
    match state.limiter.check(budget, visitor) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            tracing::info!(%visitor, ?budget, "too many requests");
            PageError::TooManyRequests {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
            .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_forms_have_the_strict_budget_and_assets_none() {
        assert_eq!(budget(&Method::POST, "/sign-in"), Some(Budget::SignIn));
        assert_eq!(budget(&Method::POST, "/account/password"), Some(Budget::SignIn));
        assert_eq!(budget(&Method::GET, "/sign-in"), Some(Budget::Pages));
        assert_eq!(budget(&Method::POST, "/bookings"), Some(Budget::Pages));
        assert_eq!(budget(&Method::GET, "/assets/app.0123456789.css"), None);
        assert_eq!(budget(&Method::GET, "/healthz"), None);
    }

    #[test]
    fn a_visitor_over_its_budget_waits_and_others_do_not() {
        let limiter = Limiter::new(RateLimits {
            pages: RateLimit::new(60, 3),
            sign_in: RateLimit::new(1, 1),
        });
        let a: IpAddr = "198.51.100.1".parse().unwrap();
        let b: IpAddr = "198.51.100.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.check(Budget::Pages, a), Ok(()));
        }
        let wait = limiter.check(Budget::Pages, a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert_eq!(limiter.check(Budget::Pages, b), Ok(()));
        // The strict budget is its own.
        assert_eq!(limiter.check(Budget::SignIn, a), Ok(()));
        let wait = limiter.check(Budget::SignIn, a).unwrap_err();
        assert!(wait > Duration::from_secs(50), "{wait:?}");
    }

    #[test]
    fn ipv6_visitors_are_counted_by_their_64() {
        let limiter = Limiter::new(RateLimits {
            pages: RateLimit::new(1, 1),
            sign_in: RateLimit::new(1, 1),
        });
        assert!(limiter.check(Budget::Pages, "2001:db8:1:2::1".parse().unwrap()).is_ok());
        assert!(limiter
            .check(Budget::Pages, "2001:db8:1:2::ffff".parse().unwrap())
            .is_err());
        assert!(limiter.check(Budget::Pages, "2001:db8:1:3::1".parse().unwrap()).is_ok());
    }
}
