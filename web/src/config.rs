//! The web front end's configuration, from the environment.

use std::{net::SocketAddr, path::PathBuf};

use roundabout_support::config::{self, ConfigError, Environment};

use crate::{
    client::TrustedProxies,
    limits::{RateLimit, RateLimits},
};

/// Where the front end listens, where the gateway is, and how it signs its cookies.
#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Where `/metrics` is served, alone (`HOST` and `METRICS_PORT`, default
    /// 4000, or a free port when `PORT` is 0); never on [`Config::bind`].
    pub metrics_bind: SocketAddr,
    /// The gateway's base URL, e.g. `http://127.0.0.1:8080`; the front end calls `<url>/graphql` only.
    pub gateway_url: String,
    /// Signs session cookies and derives CSRF tokens (≥ 32 bytes).
    pub session_key: Vec<u8>,
    pub environment: Environment,
    /// GOV.UK Frontend's `dist/govuk` folder (installed by `npm ci` in `web/`).
    pub assets_dir: PathBuf,
    /// Card payments with Stripe Elements; `None`: households are invoiced.
    pub stripe: Option<StripeJs>,
    /// The proxies in front of the front end whose `X-Forwarded-For` it
    /// believes (none in production unless configured; loopback in development).
    pub trusted_proxies: TrustedProxies,
    /// Requests a visitor may make ([`crate::limits`]).
    pub rate_limits: RateLimits,
    /// Requests served at once (`MAX_CONCURRENT_REQUESTS`); more are
    /// answered with a "busy" page and `Retry-After`.
    pub max_concurrent_requests: usize,
    /// How long a page may take (`REQUEST_TIMEOUT_MS`).
    pub request_timeout: std::time::Duration,
}

/// What the browser needs to take a card with Stripe Elements.
#[derive(Clone, Debug)]
pub struct StripeJs {
    /// `pk_live_…` or `pk_test_…`.
    pub publishable_key: String,
    /// Where Stripe.js is loaded from (`https://js.stripe.com/v3/`).
    pub js_url: String,
}

/// Stripe.js, from Stripe.
pub const STRIPE_JS_URL: &str = "https://js.stripe.com/v3/";

/// The default port of the web front end.
pub const DEFAULT_PORT: u16 = 3000;

/// `web/dist`, where `build-assets.mjs` puts the stylesheet and GOV.UK
/// Frontend's script.
pub fn default_assets_dir() -> PathBuf {
    crate::install::built_assets_dir()
}

impl Config {
    /// For tests and `up`: development cookies, the given gateway and key.
    pub fn new(gateway_url: &str, session_key: &[u8]) -> Self {
        Self {
            bind: ([127, 0, 0, 1], 0).into(),
            metrics_bind: ([127, 0, 0, 1], 0).into(),
            gateway_url: gateway_url.trim_end_matches('/').to_string(),
            session_key: session_key.to_vec(),
            environment: Environment::Development,
            assets_dir: default_assets_dir(),
            stripe: None,
            trusted_proxies: TrustedProxies::loopback(),
            rate_limits: RateLimits::default(),
            max_concurrent_requests: config::DEFAULT_MAX_CONCURRENT_REQUESTS,
            request_timeout: std::time::Duration::from_secs(30),
        }
    }

    /// `HOST`, `PORT` (default 3000), `METRICS_PORT` (default 4000), `GATEWAY_URL`, `WEB_SESSION_KEY`
    /// (required in production; generated per process in development),
    /// `WEB_ASSETS_DIR`, `ROUNDABOUT_ENV`; `STRIPE_PUBLISHABLE_KEY` (card
    /// payments offered when set) and `STRIPE_JS_URL` (default Stripe's);
    /// `WEB_TRUSTED_PROXIES` (addresses and CIDR ranges, comma-separated;
    /// default none in production, loopback in development) and the
    /// `WEB_RATE_LIMIT_*` budgets ([`rate_limits_from_env`]);
    /// `MAX_CONCURRENT_REQUESTS` and `REQUEST_TIMEOUT_MS` as every part
    /// ([`roundabout_support::admission`]).
    pub fn from_env() -> Result<Self, ConfigError> {
        let environment = Environment::from_env()?;
        let host: std::net::IpAddr = config::parse_or("HOST", [127, 0, 0, 1].into())?;
        let port: u16 = config::parse_or("PORT", DEFAULT_PORT)?;
        let metrics_port: u16 = config::parse_or("METRICS_PORT", config::default_metrics_port(DEFAULT_PORT, port))?;
        if metrics_port != 0 && metrics_port == port {
            return Err(ConfigError::new(
                "METRICS_PORT",
                "must differ from PORT: metrics are served on an internal port of their own",
            ));
        }
        let gateway_url = match config::optional("GATEWAY_URL")? {
            Some(_) => config::base_url("GATEWAY_URL")?,
            None => "http://127.0.0.1:8080".to_string(),
        };
        let session_key = match config::optional("WEB_SESSION_KEY")? {
            Some(_) => config::secret_key("WEB_SESSION_KEY")?,
            None if environment.is_production() => {
                return Err(ConfigError::new("WEB_SESSION_KEY", "required in production"))
            }
            None => {
                use rand::RngCore;
                let mut k = vec![0u8; 32];
                rand::thread_rng().fill_bytes(&mut k);
                k
            }
        };
        let assets_dir = config::optional("WEB_ASSETS_DIR")?
            .map(PathBuf::from)
            .unwrap_or_else(default_assets_dir);
        let stripe = match config::optional("STRIPE_PUBLISHABLE_KEY")? {
            None => None,
            Some(key) => {
                if !key.starts_with("pk_") || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(ConfigError::new(
                        "STRIPE_PUBLISHABLE_KEY",
                        "expected a publishable key (pk_…), never the secret key",
                    ));
                }
                let js_url = match config::optional("STRIPE_JS_URL")? {
                    Some(_) => config::base_url("STRIPE_JS_URL")? + "/",
                    None => STRIPE_JS_URL.to_string(),
                };
                Some(StripeJs {
                    publishable_key: key,
                    js_url,
                })
            }
        };
        let trusted_proxies = match config::optional("WEB_TRUSTED_PROXIES")? {
            Some(list) => TrustedProxies::parse(&list).map_err(|e| ConfigError::new("WEB_TRUSTED_PROXIES", e))?,
            None if environment.is_production() => TrustedProxies::none(),
            None => TrustedProxies::loopback(),
        };
        Ok(Self {
            bind: (host, port).into(),
            metrics_bind: (host, metrics_port).into(),
            gateway_url,
            session_key,
            environment,
            assets_dir,
            stripe,
            trusted_proxies,
            rate_limits: rate_limits_from_env()?,
            max_concurrent_requests: config::max_concurrent_requests()?,
            request_timeout: config::request_timeout()?,
        })
    }

    /// Cookies are `Secure` everywhere but local development: production
    /// cannot turn it off.
    pub fn secure_cookies(&self) -> bool {
        self.environment.is_production()
    }
}

/// `WEB_RATE_LIMIT_PAGES_PER_MINUTE` (default 600) and
/// `WEB_RATE_LIMIT_PAGES_BURST` (300) for page views and forms;
/// `WEB_RATE_LIMIT_SIGN_IN_PER_MINUTE` (10) and `WEB_RATE_LIMIT_SIGN_IN_BURST`
/// (30) for signing in, signing up and changing a password; each per
/// visitor's address and at least 1.
pub fn rate_limits_from_env() -> Result<RateLimits, ConfigError> {
    let d = RateLimits::default();
    let count = |var: &str, default: std::num::NonZeroU32| -> Result<u32, ConfigError> {
        let n: u32 = config::parse_or(var, default.get())?;
        if n == 0 {
            return Err(ConfigError::new(var, "must be at least 1"));
        }
        Ok(n)
    };
    Ok(RateLimits {
        pages: RateLimit::new(
            count("WEB_RATE_LIMIT_PAGES_PER_MINUTE", d.pages.per_minute)?,
            count("WEB_RATE_LIMIT_PAGES_BURST", d.pages.burst)?,
        ),
        sign_in: RateLimit::new(
            count("WEB_RATE_LIMIT_SIGN_IN_PER_MINUTE", d.sign_in.per_minute)?,
            count("WEB_RATE_LIMIT_SIGN_IN_BURST", d.sign_in.burst)?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_always_has_secure_cookies() {
        let mut c = Config::new("http://127.0.0.1:8080", b"a key of at least thirty-two bytes!!");
        assert!(!c.secure_cookies());
        c.environment = Environment::Production;
        assert!(c.secure_cookies());
    }
}
