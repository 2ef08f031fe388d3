//! The inventory service: providers, their approvals in councils, vehicles,
//! pricing and the geo index.
//!
//! A library with a thin binary; [`build`] returns a bound [`Application`]
//! so tests can bind port 0 and read the port back.

pub mod clients;
pub mod db;
pub mod domain;
pub mod gbfs;
pub mod http;
pub mod index;

use std::{sync::Arc, time::Duration};

use roundabout_support::{
    client::ServiceClient,
    config::{self, ConfigError, HostConfig},
    internal_auth::InternalAuth,
    server::{Application, ServiceHost},
};
use sqlx::{migrate::Migrator, PgPool};

use crate::index::{feed::Follower, GeoIndex};

/// This service's name: its metrics label and the audience of its callers' tokens.
pub const NAME: &str = "inventory";
/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 7101;
/// The service's migrations, from `migrations/inventory/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations/inventory");

/// Configuration, from the environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: HostConfig,
    /// `ELIGIBILITY_URL`: where council boundaries come from.
    pub eligibility_url: String,
    /// `INDEX_POLL_MS`: how often the geo index reads the change feed
    /// without being told to (default 5000 ms). Every write notifies every
    /// replica at once (`LISTEN inventory_changes`); the poll is the safety
    /// net for a notification missed while the listening connection was down.
    pub index_poll: Duration,
    /// How long records are kept (`RETENTION_*`; inventory purges only its
    /// outbox).
    pub retention: roundabout_support::retention::Settings,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let poll_ms: u64 = config::parse_or("INDEX_POLL_MS", 5_000)?;
        if !(10..=60_000).contains(&poll_ms) {
            return Err(ConfigError::new("INDEX_POLL_MS", "must be between 10 and 60000"));
        }
        Ok(Self {
            host: HostConfig::from_env(DEFAULT_PORT)?,
            eligibility_url: config::base_url("ELIGIBILITY_URL")?,
            index_poll: Duration::from_millis(poll_ms),
            retention: roundabout_support::retention::Settings::from_env()?,
        })
    }

    /// A configuration for tests and tools: the host settings given, the
    /// feed followed every 200 ms.
    pub fn new(host: HostConfig, eligibility_url: impl Into<String>) -> Self {
        Self {
            host,
            eligibility_url: eligibility_url.into(),
            index_poll: Duration::from_millis(200),
            retention: Default::default(),
        }
    }
}

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub auth: InternalAuth,
    pub index: Arc<GeoIndex>,
    pub follower: Arc<Follower>,
    pub eligibility: ServiceClient,
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

/// Connects to the database, loads the geo index and binds the HTTP listener.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let pool = roundabout_support::db::connect(&config.host.database_url, config.host.db_max_connections).await?;
    let auth = InternalAuth::new(&config.host.internal, NAME)?;
    let index = Arc::new(GeoIndex::new());
    // Before migrations are applied there is nothing to load; the feed
    // catches up once they are.
    if roundabout_support::db::migrations_applied(&pool, &MIGRATOR)
        .await
        .unwrap_or(false)
    {
        index.load(&pool).await?;
    }
    let follower = Arc::new(Follower::default());
    let state = AppState {
        pool: pool.clone(),
        auth: auth.clone(),
        index: index.clone(),
        follower: follower.clone(),
        eligibility: ServiceClient::new(
            "eligibility",
            &config.eligibility_url,
            auth.clone(),
            ServiceClient::http_client(),
        ),
    };
    let every = config.index_poll;
    let feed_pool = pool.clone();
    let api = http::router(state).merge(roundabout_support::events::router(pool.clone(), auth.clone()));
    let host = ServiceHost::new(NAME, &config.host, pool.clone(), &MIGRATOR, auth, api)
        .with_openapi(&http::openapi::document());
    // Inventory's only records with a retention period are its outbox messages.
    let purges = roundabout_support::retention::Runner::new(NAME, pool, config.retention, &host.metrics)
        .with_outbox()
        .with_events();
    host.with_task(Box::new(move |shutdown| {
        Box::pin(index::feed::follow(index, follower, feed_pool, every, shutdown))
    }))
    .with_task(purges.task())
    .build(config.host.bind)
    .await
}
