//! The web front end's configuration, from the environment.

use std::{net::SocketAddr, path::PathBuf};

use roundabout_support::config::{self, ConfigError, Environment};

/// Where the front end listens, where the gateway is, and how it signs its cookies.
#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// The gateway's base URL, e.g. `http://127.0.0.1:8080`; the front end calls `<url>/graphql` only.
    pub gateway_url: String,
    /// Signs session cookies and derives CSRF tokens (≥ 32 bytes).
    pub session_key: Vec<u8>,
    pub environment: Environment,
    /// GOV.UK Frontend's `dist/govuk` folder (installed by `npm ci` in `web/`).
    pub assets_dir: PathBuf,
    /// Card payments with Stripe Elements; `None`: households are invoiced.
    pub stripe: Option<StripeJs>,
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

/// `dist/govuk` of the `govuk-frontend` package installed in `web/node_modules`.
pub fn default_assets_dir() -> PathBuf {
    crate::install::package_dir().join("node_modules/govuk-frontend/dist/govuk")
}

impl Config {
    /// For tests and `up`: development cookies, the given gateway and key.
    pub fn new(gateway_url: &str, session_key: &[u8]) -> Self {
        Self {
            bind: ([127, 0, 0, 1], 0).into(),
            gateway_url: gateway_url.trim_end_matches('/').to_string(),
            session_key: session_key.to_vec(),
            environment: Environment::Development,
            assets_dir: default_assets_dir(),
            stripe: None,
        }
    }

    /// `HOST`, `PORT` (default 3000), `GATEWAY_URL`, `WEB_SESSION_KEY`
    /// (required in production; generated per process in development),
    /// `WEB_ASSETS_DIR`, `ROUNDABOUT_ENV`; `STRIPE_PUBLISHABLE_KEY` (card
    /// payments offered when set) and `STRIPE_JS_URL` (default Stripe's).
    pub fn from_env() -> Result<Self, ConfigError> {
        let environment = Environment::from_env()?;
        let host: std::net::IpAddr = config::parse_or("HOST", [127, 0, 0, 1].into())?;
        let port: u16 = config::parse_or("PORT", DEFAULT_PORT)?;
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
        Ok(Self {
            bind: (host, port).into(),
            gateway_url,
            session_key,
            environment,
            assets_dir,
            stripe,
        })
    }

    /// Cookies are `Secure` everywhere but local development.
    pub fn secure_cookies(&self) -> bool {
        self.environment.is_production()
    }
}
