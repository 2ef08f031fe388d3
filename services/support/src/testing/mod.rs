//! Test support: a fresh database per test, signed callers, the Python
//! tools the tests run against, and localstripe ([`localstripe`]).
//!
//! Tests need `DATABASE_URL` to name a PostgreSQL server (any database on it);
//! `cargo xtask test` starts a private one and sets it. Each call of
//! [`fresh_database`] creates a new, empty, migrated database, so tests never
//! see each other's rows.

pub mod localstripe;

use sqlx::{migrate::Migrator, PgPool};

use crate::internal_auth::{Caller, InternalAuth};

/// The internal-call key tests use.
pub const TEST_INTERNAL_KEY: &[u8] = b"test-internal-key-0123456789abcdef-0123456789";

/// The PostgreSQL server URL tests run against.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DATABASE_URL is not set. Run the tests with `cargo xtask test`, which starts a private \
             PostgreSQL, or point DATABASE_URL at a PostgreSQL server you own."
        )
    })
}

/// A new database on the test server with `migrator` applied. Returns the
/// pool and the database's URL.
pub async fn fresh_database(migrator: &Migrator) -> (PgPool, String) {
    let server = server_url();
    let name = format!("rt_{}", uuid::Uuid::new_v4().simple());
    crate::db::ensure_database(&server, &name)
        .await
        .expect("create test database");
    let url = crate::db::database_url(&server, &name);
    let pool = crate::db::connect(&url, 5).await.expect("connect to test database");
    migrator.run(&pool).await.expect("migrate test database");
    (pool, url)
}

/// A caller token for `audience`, signed with [`TEST_INTERNAL_KEY`].
pub fn caller_token(audience: &str, caller: &Caller) -> String {
    InternalAuth::new(TEST_INTERNAL_KEY, "test").sign(audience, caller)
}

/// Host settings for a service under test: 127.0.0.1 port 0, the test key.
pub fn host_config(database_url: &str) -> crate::config::HostConfig {
    crate::config::HostConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        database_url: database_url.to_string(),
        db_max_connections: 5,
        internal_key: TEST_INTERNAL_KEY.to_vec(),
        max_body_bytes: 1024 * 1024,
        environment: crate::config::Environment::Development,
    }
}

/// A service running in the test's runtime; stopped when dropped.
pub struct Running {
    pub url: String,
    _stop: crate::shutdown::Trigger,
}

impl Running {
    /// Spawns a built application.
    pub fn spawn(app: crate::server::Application) -> Self {
        let url = format!("http://127.0.0.1:{}", app.port());
        Self {
            url,
            _stop: app.spawn(),
        }
    }

    /// A client for this service, signing as the test key.
    pub fn client(&self, service: &'static str) -> crate::client::ServiceClient {
        crate::client::ServiceClient::new(
            service,
            &self.url,
            InternalAuth::new(TEST_INTERNAL_KEY, "test"),
            reqwest::Client::new(),
        )
    }
}

/// A caller who is an admin.
pub fn admin_caller() -> Caller {
    Caller {
        admin: true,
        ..Caller::user(uuid::Uuid::new_v4(), "admin@example.org")
    }
}

/// A command-line tool the test runner installed (`localstripe`,
/// `gbfs-validator`): `$ROUNDABOUT_TOOLS_BIN/<name>`.
pub fn tool(name: &str) -> std::path::PathBuf {
    let dir = std::env::var_os("ROUNDABOUT_TOOLS_BIN").unwrap_or_else(|| {
        panic!("ROUNDABOUT_TOOLS_BIN is not set: run the tests with `cargo xtask test`, which installs {name}")
    });
    let path = std::path::Path::new(&dir).join(name);
    assert!(
        path.exists(),
        "{} is missing; `cargo xtask test` installs it",
        path.display()
    );
    path
}
