//! The payments service: payment intents per booking, Stripe customers and connected accounts, the double-entry ledger, refunds, the webhook inbox and lease billing.
//!
//! A library with a thin binary; [`build`] returns a bound [`Application`]
//! so tests can bind port 0 and read the port back.

pub mod gateway;
pub mod http;

use roundabout_support::{
    config::{ConfigError, HostConfig},
    internal_auth::InternalAuth,
    server::{Application, ServiceHost},
};
use sqlx::{migrate::Migrator, PgPool};

/// This service's name: its metrics label and the audience of its callers' tokens.
pub const NAME: &str = "payments";
/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 7104;
/// The service's migrations, from `migrations/payments/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/payments");

/// Configuration, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: HostConfig,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            host: HostConfig::from_env(DEFAULT_PORT)?,
        })
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub auth: InternalAuth,
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
    let auth = InternalAuth::new(&config.host.internal_key, NAME);
    let state = AppState {
        pool: pool.clone(),
        auth: auth.clone(),
    };
    ServiceHost::new(NAME, &config.host, pool, &MIGRATOR, auth, http::router(state))
        .build(config.host.bind)
        .await
}
