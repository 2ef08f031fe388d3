//! PostgreSQL: pools, databases on a server, migration state, and the
//! outbox's queries ([`outbox`]).
//!
//! These queries run on whichever service's database the pool is for, so
//! they are not compile-checked: a `query!` macro in this crate would be
//! checked against the database of every crate being prepared that links
//! it, and the gateway's has no `outbox` table (and its cache entries would
//! land in each dependent crate's `.sqlx/`). They are plain `sqlx::query`
//! with bound parameters, run by the tests of every service.

pub mod events;
pub mod outbox;

use std::time::Duration;

use anyhow::Context;
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    ConnectOptions, Connection, PgConnection, PgPool,
};

/// A pool on `url` with `max` connections.
#[tracing::instrument(skip(url))]
pub async fn connect(url: &str, max: u32) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = url.parse().context("parsing the database URL")?;
    let options = options.log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
    // Its statements' spans name this database (crate::telemetry::db).
    crate::telemetry::db::set_database(&options);
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("connecting to PostgreSQL")
}

/// Applies every pending migration of `migrator` to the database at `url`.
pub async fn migrate(url: &str, migrator: &Migrator) -> anyhow::Result<()> {
    let pool = connect(url, 2).await?;
    migrator.run(&pool).await.context("applying migrations")?;
    pool.close().await;
    Ok(())
}

/// `server_url` with its database path replaced by `name`.
pub fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (server_url, None),
    };
    // Keep scheme://authority and drop any existing path.
    let after_scheme = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(base.len());
    let mut url = format!("{}/{}", &base[..authority_end], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// Creates database `name` on the server at `server_url` unless it exists.
#[tracing::instrument(skip(server_url))]
pub async fn ensure_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        !name.is_empty()
            && name.len() < 64
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "database name {name:?} must be lowercase letters, digits and underscores"
    );
    let mut conn = PgConnection::connect(&database_url(server_url, "postgres"))
        .await
        .context("connecting to the PostgreSQL server's maintenance database")?;
    let exists: bool = sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await?;
    if !exists {
        // Identifiers cannot be bound (nor pushed by QueryBuilder other than
        // as text); the name is checked above.
        let sql = format!("create database \"{name}\"");
        if let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
            // Another process may have created it in between.
            let dup = matches!(&e, sqlx::Error::Database(d) if d.code().as_deref() == Some("42P04"));
            if !dup {
                return Err(e).context("creating the database");
            }
        }
    }
    conn.close().await.ok();
    Ok(())
}

/// Whether the database answers.
pub async fn ping(pool: &PgPool) -> sqlx::Result<()> {
    sqlx::query_scalar::<_, i32>("select 1").fetch_one(pool).await?;
    Ok(())
}

/// True when every migration embedded in `migrator` has been applied.
pub async fn migrations_applied(pool: &PgPool, migrator: &Migrator) -> anyhow::Result<bool> {
    let table: Option<String> = sqlx::query_scalar("select to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await?;
    if table.is_none() {
        return Ok(migrator.iter().next().is_none());
    }
    let applied: Vec<i64> = sqlx::query_scalar("select version from _sqlx_migrations where success order by version")
        .fetch_all(pool)
        .await?;
    Ok(migrator
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .all(|m| applied.binary_search(&m.version).is_ok()))
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn database_url_replaces_the_path() {
        assert_eq!(database_url("postgres://u:p@h:5/x", "inv"), "postgres://u:p@h:5/inv");
        assert_eq!(database_url("postgres://u@h:5", "inv"), "postgres://u@h:5/inv");
        assert_eq!(
            database_url("postgres://u@h/x?sslmode=disable", "inv"),
            "postgres://u@h/inv?sslmode=disable"
        );
    }
}
