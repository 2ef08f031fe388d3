//! The payments service: payments per booking, Stripe customers and
//! connected accounts, the double-entry ledger, refunds, the webhook inbox,
//! lease billing and provider payouts.
//!
//! A library with a thin binary; [`build`] returns a bound [`Application`]
//! so tests can bind port 0 and read the port back.

pub mod db;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod ops;
pub mod processor;
pub mod retention;

use std::{sync::Arc, time::Duration};

use roundabout_support::{
    client::ServiceClient,
    config::{self, ConfigError, HostConfig},
    internal_auth::InternalAuth,
    outbox::Relay,
    server::{Application, ServiceHost},
};
use sqlx::{migrate::Migrator, PgPool};

use crate::processor::{stripe::StripeProcessor, PaymentProcessor};

/// This service's name: its metrics label and the audience of its callers' tokens.
pub const NAME: &str = "payments";
/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 7104;
/// The service's migrations, from `migrations/payments/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/payments");

/// Stripe settings, present when `STRIPE_SECRET_KEY` is set.
#[derive(Clone)]
pub struct StripeConfig {
    pub secret_key: String,
    pub api_base: String,
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// What the operations need besides the database and the processor.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `PLATFORM_FEE_BASIS_POINTS`: the fee where a council has none set (default 500 = 5 %).
    pub default_fee_basis_points: i64,
    /// `STRIPE_WEBHOOK_SECRET`: one or more (comma-separated, during a rotation).
    pub webhook_secrets: Vec<String>,
    /// `LEASE_RETRY_SECS`: wait before a failed lease month is tried again (default a day).
    pub lease_retry_secs: i64,
    /// `RECONCILE_AFTER_SECS`: age at which an unresolved card payment is reconciled (default 60).
    pub reconcile_after_secs: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            default_fee_basis_points: 500,
            webhook_secrets: Vec::new(),
            lease_retry_secs: 24 * 3600,
            reconcile_after_secs: 60.0,
        }
    }
}

/// Configuration, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: HostConfig,
    pub stripe: Option<StripeConfig>,
    pub settings: Settings,
    /// `BOOKINGS_URL`: where payment events are delivered; unset, they wait in the outbox.
    pub bookings_url: Option<String>,
    /// `PAYMENTS_JOB_SECS`: how often reconciliation, lease billing and payouts run (default 30).
    pub job_interval: Duration,
    /// How long records are kept (`RETENTION_*`).
    pub retention: roundabout_support::retention::Settings,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let stripe = match config::optional("STRIPE_SECRET_KEY")? {
            Some(secret_key) => {
                if !(secret_key.starts_with("sk_") || secret_key.starts_with("rk_")) {
                    return Err(ConfigError::new(
                        "STRIPE_SECRET_KEY",
                        "expected a secret key (sk_… or rk_…)",
                    ));
                }
                let api_base =
                    config::optional("STRIPE_API_BASE")?.unwrap_or_else(|| processor::stripe::DEFAULT_API_BASE.into());
                if !(api_base.starts_with("https://") || api_base.starts_with("http://")) {
                    return Err(ConfigError::new("STRIPE_API_BASE", "expected an http(s) URL"));
                }
                Some(StripeConfig { secret_key, api_base })
            }
            None => None,
        };
        let fee: i64 = config::parse_or("PLATFORM_FEE_BASIS_POINTS", 500)?;
        if !(0..=5000).contains(&fee) {
            return Err(ConfigError::new(
                "PLATFORM_FEE_BASIS_POINTS",
                "must be between 0 and 5000",
            ));
        }
        let webhook_secrets = config::optional("STRIPE_WEBHOOK_SECRET")?
            .map(|s| {
                s.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let bookings_url = match config::optional("BOOKINGS_URL")? {
            Some(_) => Some(config::base_url("BOOKINGS_URL")?),
            None => None,
        };
        Ok(Self {
            host: HostConfig::from_env(DEFAULT_PORT)?,
            stripe,
            settings: Settings {
                default_fee_basis_points: fee,
                webhook_secrets,
                lease_retry_secs: config::parse_or("LEASE_RETRY_SECS", 24 * 3600)?,
                reconcile_after_secs: config::parse_or("RECONCILE_AFTER_SECS", 60.0)?,
            },
            bookings_url,
            job_interval: Duration::from_secs(config::parse_or("PAYMENTS_JOB_SECS", 30u64)?.max(1)),
            retention: roundabout_support::retention::Settings::from_env()?,
        })
    }
}

/// Shared state of the handlers and jobs.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub auth: InternalAuth,
    /// The card processor; `None` when card payments are not configured.
    pub processor: Option<Arc<dyn PaymentProcessor>>,
    pub settings: Arc<Settings>,
}

impl axum::extract::FromRef<AppState> for InternalAuth {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}

/// Applies every pending migration.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    roundabout_support::db::migrate(&config.host.database_url, &MIGRATOR).await
}

/// Connects, builds the Stripe adapter when configured, and binds the listener.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let processor: Option<Arc<dyn PaymentProcessor>> = match &config.stripe {
        Some(s) => Some(Arc::new(StripeProcessor::new(&s.secret_key, &s.api_base)?)),
        None => None,
    };
    build_with_processor(config, processor).await
}

/// [`build`] with a given processor (tests pass a fake or a localstripe client).
pub async fn build_with_processor(
    config: Config,
    processor: Option<Arc<dyn PaymentProcessor>>,
) -> anyhow::Result<Application> {
    let pool = roundabout_support::db::connect(&config.host.database_url, config.host.db_max_connections).await?;
    let auth = InternalAuth::new(&config.host.internal, NAME)?;
    let state = AppState {
        pool: pool.clone(),
        auth: auth.clone(),
        processor,
        settings: Arc::new(config.settings.clone()),
    };
    let mut host = ServiceHost::new(
        NAME,
        &config.host,
        pool.clone(),
        &MIGRATOR,
        auth.clone(),
        http::router(state.clone()).merge(roundabout_support::events::router(pool.clone(), auth.clone())),
    )
    .with_public(http::public(state.clone()))
    .with_openapi(&http::openapi::document());
    metrics::register(&host.metrics);
    let purges = retention::runner(pool.clone(), config.retention.clone(), &host.metrics).task();
    host = host.with_task(purges);
    let refresh_pool = pool.clone();
    host = host.with_task(roundabout_support::metrics::refresher(
        "stripe webhooks",
        Duration::from_secs(15),
        move || {
            let pool = refresh_pool.clone();
            async move { metrics::refresh(&pool).await }
        },
    ));
    let jobs_state = state.clone();
    let every = config.job_interval;
    host = host.with_task(Box::new(move |shutdown| {
        Box::pin(ops::jobs::run(jobs_state, every, shutdown))
    }));
    if let Some(url) = &config.bookings_url {
        let client = ServiceClient::new("bookings", url.clone(), auth, ServiceClient::http_client());
        let relay = Relay::new(pool, NAME, vec![client], host.metrics.clone());
        host = host.with_task(Box::new(move |shutdown| Box::pin(relay.run(shutdown))));
    }
    host.build(config.host.bind).await
}
