//! The gateway: Roundabout's public GraphQL API.
//!
//! It owns user accounts, credentials and memberships (its own database),
//! authenticates bearer tokens, enforces roles and tenancy, and calls the four
//! services with a signed, short-lived caller identity. Everything a client
//! sees goes through here; the services are never public.

pub mod accounts;
pub mod config;
pub mod erasure;
pub mod gbfs;
pub mod graphiql;
pub mod guard;
pub mod http;
pub mod notify;
pub mod principal;
pub mod ratelimit;
pub mod retention;
pub mod schema;
pub mod services;

pub use config::Config;

use roundabout_support::{
    internal_auth::InternalAuth,
    server::{Application, ServiceHost},
};
use sqlx::{migrate::Migrator, PgPool};
use uuid::Uuid;

use crate::{
    accounts::{db::NewMembership, tokens::TokenIssuer},
    services::{Gateway, Services},
};

/// The gateway's name in metrics and as the signer of internal calls.
pub const NAME: &str = "gateway";
/// The gateway's migrations, from `migrations/gateway/`.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations/gateway");

/// Applies every pending migration.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    roundabout_support::db::migrate(&config.host.database_url, &MIGRATOR).await
}

/// Connects, creates the bootstrap admin if configured, and binds the listener.
pub async fn build(config: Config) -> anyhow::Result<Application> {
    let pool = roundabout_support::db::connect(&config.host.database_url, config.host.db_max_connections).await?;
    let auth = InternalAuth::new(&config.host.internal, NAME)?;
    if let Some(admin) = &config.bootstrap_admin {
        ensure_admin(&pool, &admin.email, &admin.password).await?;
    }
    let services = Services::new(&config.services, auth.clone());
    let eraser = erasure::Eraser::new(pool.clone(), services.clone());
    let gateway = Gateway {
        pool: pool.clone(),
        tokens: TokenIssuer::new(&config.token_key, config.token_ttl_secs),
        services,
        eraser: eraser.clone(),
        mailbox: config.notify.transports.is_mailbox(),
        site_url: config.notify.site_url.clone(),
        decoy_hash: accounts::password::decoy_hash(),
        public_url: config.public_url.clone(),
        hasher: accounts::password::Hasher::new(config.abuse.password_hash_concurrency),
        abuse: config.abuse.clone(),
    };
    let limiter = ratelimit::ClientLimiter::new(&config.abuse);
    let development = !config.environment.is_production();
    let schema = schema::build(Some(gateway.clone()), &config.limits, config.introspection);
    let introspection = config
        .introspection
        .then(|| schema::build_introspection(&config.limits));
    let graphiql = development.then(|| graphiql::Assets::load(config.graphiql_dir.as_deref()));
    let public = http::router(
        http::HttpState {
            schema,
            introspection,
            gateway: gateway.clone(),
            limits: config.limits,
        },
        graphiql,
    )
    .merge(gbfs::router(gateway.clone()))
    .merge(notify::callback::router(
        pool.clone(),
        config.notify.callback_token.clone(),
    ))
    .layer(axum::middleware::from_fn_with_state(limiter.clone(), ratelimit::limit));
    let host = ServiceHost::new(NAME, &config.host, pool.clone(), &MIGRATOR, auth, axum::Router::new())
        .with_public(public)
        .with_refusal(ratelimit::refused)
        .with_task(limiter.housekeeping());
    let eraser = eraser.with_metrics(&host.metrics);
    let host = host.with_task(Box::new(move |stop| Box::pin(eraser.run(stop))));
    tracing::info!(transports = %config.notify.transports.describe(), "notifications");
    let notifier = notify::Notifier::new(pool.clone(), gateway.services.clone(), config.notify.clone())
        .with_metrics(&host.metrics);
    let host = host.with_task(Box::new(move |stop| Box::pin(notifier.run(stop))));
    let purges = retention::runner(
        pool,
        config.retention.clone(),
        gateway.services.eligibility.clone(),
        &host.metrics,
    );
    host.with_task(purges.task()).build(config.host.bind).await
}

/// Creates the admin account unless the email exists; makes sure it is an admin.
/// An existing account's password is never changed here.
pub async fn ensure_admin(pool: &PgPool, email: &str, password: &str) -> anyhow::Result<()> {
    let email =
        accounts::Email::parse(email).map_err(|e| anyhow::anyhow!("BOOTSTRAP_ADMIN_EMAIL: {}", e.body.message))?;
    let mut tx = pool.begin().await?;
    // Gateway replicas starting together would each find no admin and each
    // insert one (all but the first failing on the unique email): one at a
    // time, until the transaction ends.
    sqlx::query("select pg_advisory_xact_lock(hashtext('roundabout.bootstrap_admin'))")
        .execute(&mut *tx)
        .await?;
    let id = match accounts::db::find_by_email(&mut *tx, email.as_str()).await? {
        Some(u) => u.id,
        None => {
            let id = Uuid::new_v4();
            let hash = accounts::password::hash(password.to_string()).await?;
            accounts::db::insert_user(&mut tx, id, email.as_str(), &hash, Some("Administrator")).await?;
            tracing::info!(email = email.as_str(), "bootstrap admin created");
            id
        }
    };
    accounts::db::add_membership(&mut tx, id, NewMembership::Admin).await?;
    tx.commit().await?;
    Ok(())
}
