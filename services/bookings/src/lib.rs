//! The bookings service: offers ranking, bookings (hire and lease), the reservation calendar, lifecycle, cancellation policy and the booking saga.
//!
//! A library with a thin binary; [`build`] returns a bound [`Application`]
//! so tests can bind port 0 and read the port back.

pub mod db;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod retention;
pub mod saga;

use std::time::Duration;

use roundabout_support::{
    client::ServiceClient,
    config::{self, ConfigError, HostConfig},
    internal_auth::InternalAuth,
    server::{Application, ServiceHost},
};
use sqlx::{migrate::Migrator, PgPool};

/// This service's name: its metrics label and the audience of its callers' tokens.
pub const NAME: &str = "bookings";
/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 7103;
/// The service's migrations, from `migrations/bookings/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/bookings");

/// Configuration, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: HostConfig,
    /// `INVENTORY_URL`, `ELIGIBILITY_URL`, `PAYMENTS_URL`.
    pub inventory_url: String,
    pub eligibility_url: String,
    pub payments_url: String,
    /// `BOOKING_PAYMENT_TIMEOUT_SECS` (default 900): an unpaid booking expires after this.
    pub payment_timeout: Duration,
    /// `BOOKINGS_JOB_MS` (default 1000): how often the resumer and scheduler run.
    pub job_interval: Duration,
    /// `BOOKINGS_CLAIM_SECS` (default 60): how long one driver holds a booking;
    /// after a crash, another takes it over once this has passed.
    pub claim: Duration,
    /// `BOOKINGS_SAGA_PAUSE`: pause points for crash tests (see [`saga::pause`]).
    pub pauses: saga::pause::Pauses,
    /// `BOOKING_MAX_LEAD_DAYS`, `BOOKING_MAX_HIRE_DAYS`, `BOOKING_MAX_UNPAID`,
    /// `BOOKING_MAX_OVERLAPPING_HIRES`: what one household may book.
    pub limits: domain::Limits,
    /// How long records are kept (`RETENTION_*`).
    pub retention: roundabout_support::retention::Settings,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let host = HostConfig::from_env(DEFAULT_PORT)?;
        Ok(Self {
            inventory_url: config::base_url("INVENTORY_URL")?,
            eligibility_url: config::base_url("ELIGIBILITY_URL")?,
            payments_url: config::base_url("PAYMENTS_URL")?,
            payment_timeout: Duration::from_secs(config::parse_or("BOOKING_PAYMENT_TIMEOUT_SECS", 900u64)?),
            job_interval: Duration::from_millis(config::parse_or("BOOKINGS_JOB_MS", 1000u64)?),
            claim: claim_from_env()?,
            pauses: saga::pause::Pauses::from_env(host.environment.is_production())?,
            limits: limits_from_env()?,
            retention: roundabout_support::retention::Settings::from_env()?,
            host,
        })
    }

    /// A configuration with the default timeouts.
    pub fn new(host: HostConfig, inventory_url: String, eligibility_url: String, payments_url: String) -> Self {
        Self {
            host,
            inventory_url,
            eligibility_url,
            payments_url,
            payment_timeout: Duration::from_secs(900),
            job_interval: Duration::from_secs(1),
            claim: Duration::from_secs(60),
            pauses: saga::pause::Pauses::default(),
            limits: domain::Limits::default(),
            retention: Default::default(),
        }
    }
}

/// A whole number from the environment within `range`, else `default`.
fn bounded(var: &str, default: i64, range: std::ops::RangeInclusive<i64>) -> Result<i64, ConfigError> {
    let v: i64 = config::parse_or(var, default)?;
    if !range.contains(&v) {
        return Err(ConfigError::new(
            var,
            format!("must be from {} to {}", range.start(), range.end()),
        ));
    }
    Ok(v)
}

fn limits_from_env() -> Result<domain::Limits, ConfigError> {
    let d = domain::Limits::default();
    Ok(domain::Limits {
        max_lead_days: bounded("BOOKING_MAX_LEAD_DAYS", d.max_lead_days, 1..=3_650)?,
        max_hire_days: bounded("BOOKING_MAX_HIRE_DAYS", d.max_hire_days, 1..=365)?,
        max_unpaid: bounded("BOOKING_MAX_UNPAID", d.max_unpaid, 1..=1_000_000)?,
        max_overlapping_hires: bounded("BOOKING_MAX_OVERLAPPING_HIRES", d.max_overlapping_hires, 1..=1_000_000)?,
    })
}

fn claim_from_env() -> Result<Duration, ConfigError> {
    let secs: u64 = config::parse_or("BOOKINGS_CLAIM_SECS", 60)?;
    if !(1..=3600).contains(&secs) {
        return Err(ConfigError::new(
            "BOOKINGS_CLAIM_SECS",
            "must be from 1 to 3600 seconds",
        ));
    }
    Ok(Duration::from_secs(secs))
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub auth: InternalAuth,
    pub inventory: ServiceClient,
    pub eligibility: ServiceClient,
    pub payments: ServiceClient,
    pub payment_timeout: Duration,
    /// How long a driver's claim on a booking lasts.
    pub claim: Duration,
    pub pauses: saga::pause::Pauses,
    pub limits: domain::Limits,
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

/// Connects to the database and binds the HTTP listener.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let pool = roundabout_support::db::connect(&config.host.database_url, config.host.db_max_connections).await?;
    let auth = InternalAuth::new(&config.host.internal, NAME)?;
    let http = ServiceClient::http_client();
    let client = |name: &'static str, url: &str| ServiceClient::new(name, url, auth.clone(), http.clone());
    let state = AppState {
        pool: pool.clone(),
        auth: auth.clone(),
        inventory: client("inventory", &config.inventory_url),
        eligibility: client("eligibility", &config.eligibility_url),
        payments: client("payments", &config.payments_url),
        payment_timeout: config.payment_timeout,
        claim: config.claim,
        pauses: config.pauses.clone(),
        limits: config.limits,
    };
    let eligibility = state.eligibility.clone();
    let jobs_state = state.clone();
    let every = config.job_interval;
    let api = http::router(state).merge(roundabout_support::events::router(pool.clone(), auth.clone()));
    let mut host = ServiceHost::new(NAME, &config.host, pool.clone(), &MIGRATOR, auth, api)
        .with_openapi(&http::openapi::document())
        .with_task(Box::new(move |shutdown| {
            Box::pin(jobs::run(jobs_state, every, shutdown))
        }));
    let purges = retention::runner(pool.clone(), config.retention.clone(), eligibility, &host.metrics).task();
    let saga_gauges = metrics::saga_task(&host.metrics, pool);
    host = host.with_task(saga_gauges).with_task(purges);
    if !config.pauses.is_empty() {
        let pauses = config.pauses.clone();
        host = host.with_task(Box::new(move |shutdown| {
            Box::pin(async move {
                tokio::select! {
                    _ = pauses.release_on_sigusr1() => {}
                    _ = shutdown.wait() => {}
                }
            })
        }));
    }
    host.build(config.host.bind).await
}
