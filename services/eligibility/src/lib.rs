//! The eligibility service: councils, zones, household profiles, schemes,
//! decisions and scheme budgets.
//!
//! A library with a thin binary; [`build`] returns a bound [`Application`]
//! so tests can bind port 0 and read the port back.

pub mod db;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod retention;

use std::{sync::Arc, time::Duration};

use datalogic_rs::Engine;
use roundabout_support::{
    config::{parse_or, ConfigError, HostConfig},
    internal_auth::InternalAuth,
    server::{Application, ServiceHost},
};
use sqlx::{migrate::Migrator, PgPool};

/// This service's name: its metrics label and the audience of its callers' tokens.
pub const NAME: &str = "eligibility";
/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 7102;
/// The service's migrations, from `migrations/eligibility/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/eligibility");

/// How long a budget hold lasts when `BUDGET_HOLD_SECS` is unset.
pub const DEFAULT_BUDGET_HOLD_SECS: u64 = 900;

/// Configuration, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: HostConfig,
    /// How long a budget hold lasts before it stops counting (`BUDGET_HOLD_SECS`).
    pub budget_hold: Duration,
    /// How long records are kept (`RETENTION_*`).
    pub retention: roundabout_support::retention::Settings,
}

impl Config {
    /// Host settings with every other setting at its default.
    pub fn new(host: HostConfig) -> Self {
        Self {
            host,
            budget_hold: Duration::from_secs(DEFAULT_BUDGET_HOLD_SECS),
            retention: Default::default(),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        let secs = parse_or("BUDGET_HOLD_SECS", DEFAULT_BUDGET_HOLD_SECS)?;
        if !(1..=7 * 24 * 3600).contains(&secs) {
            return Err(ConfigError::new("BUDGET_HOLD_SECS", "must be from 1 to 604800 seconds"));
        }
        Ok(Self {
            host: HostConfig::from_env(DEFAULT_PORT)?,
            budget_hold: Duration::from_secs(secs),
            retention: roundabout_support::retention::Settings::from_env()?,
        })
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub auth: InternalAuth,
    /// The JSON Logic engine (stateless; rules are compiled per use).
    pub engine: Arc<Engine>,
    pub budget_hold: Duration,
    /// The configured retention periods (councils' defaults).
    pub retention: Arc<roundabout_support::retention::Settings>,
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
    let state = AppState {
        pool: pool.clone(),
        auth: auth.clone(),
        engine: Arc::new(Engine::new()),
        budget_hold: config.budget_hold,
        retention: Arc::new(config.retention.clone()),
    };
    let api = http::router(state).merge(roundabout_support::events::router(pool.clone(), auth.clone()));
    let host = ServiceHost::new(NAME, &config.host, pool.clone(), &MIGRATOR, auth, api)
        .with_openapi(&http::openapi::document());
    let purges = retention::runner(pool.clone(), config.retention, &host.metrics).task();
    let budgets = metrics::budget_task(&host.metrics, pool);
    host.with_task(budgets).with_task(purges).build(config.host.bind).await
}
