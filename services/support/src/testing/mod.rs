//! Test support: a fresh database per test, signed callers and the test
//! keys they are signed with, the Python tools the tests run against, and
//! localstripe ([`localstripe`]).
//!
//! Tests need `DATABASE_URL` to name a PostgreSQL server (any database on it);
//! `cargo xtask test` starts a private one and sets it. Each call of
//! [`fresh_database`] creates a new, empty, migrated database, so tests never
//! see each other's rows.

pub mod localstripe;
pub mod openapi;

use sqlx::{migrate::Migrator, PgPool};

use sha2::{Digest, Sha256};

use crate::{
    internal_auth::{Caller, InternalAuth},
    internal_keys::{InternalKeys, SigningKey, TrustedKeys},
};

/// Every part that signs internal calls, each with a fixed test key.
pub const TEST_PARTS: [&str; 5] = ["gateway", "inventory", "eligibility", "bookings", "payments"];

/// The fixed seed of `part`'s test key: the same in every process, so
/// parts started as child processes trust each other and the test.
fn test_seed(part: &str) -> [u8; 32] {
    Sha256::digest(format!("roundabout test key of {part}")).into()
}

/// `part`'s test signing key (key id `test-<part>`).
pub fn test_signing_key(part: &str) -> SigningKey {
    SigningKey::from_seed(&format!("test-{part}"), &test_seed(part)).expect("a valid test key")
}

/// `part`'s test signing key as `INTERNAL_SIGNING_KEY` text.
pub fn test_signing_key_text(part: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    format!("test-{part}:{}", URL_SAFE_NO_PAD.encode(test_seed(part)))
}

/// The public test keys of every part, as `INTERNAL_TRUSTED_KEYS` text.
pub fn test_trusted_keys_text() -> String {
    TEST_PARTS
        .iter()
        .map(|p| test_signing_key(p).trusted_entry(p))
        .collect::<Vec<_>>()
        .join(",")
}

/// The public test keys of every part.
pub fn test_trusted_keys() -> TrustedKeys {
    TrustedKeys::parse(&test_trusted_keys_text()).expect("valid test keys")
}

/// `part`'s keys in a test: its own test key, every part's public key.
pub fn test_internal_keys(part: &str) -> InternalKeys {
    InternalKeys {
        signing: test_signing_key(part),
        trusted: test_trusted_keys(),
    }
}

/// The environment a part started as a process needs to sign and verify
/// internal calls with the test keys.
pub fn test_key_env(part: &str) -> Vec<(String, String)> {
    vec![
        ("INTERNAL_SIGNING_KEY".to_string(), test_signing_key_text(part)),
        ("INTERNAL_TRUSTED_KEYS".to_string(), test_trusted_keys_text()),
    ]
}

/// What a test signs calls with: as the gateway for people (users, admins,
/// officers, anonymous visitors), and as a service with that service's own
/// test key, so each caller is signed by the one part that may assert it.
pub fn test_client_auth() -> InternalAuth {
    InternalAuth::for_tests(
        "test",
        test_signing_key("gateway"),
        TEST_PARTS
            .iter()
            .map(|p| (p.to_string(), test_signing_key(p)))
            .collect(),
        test_trusted_keys(),
    )
}

/// Signs every call with `part`'s test key alone, whatever the caller: what
/// a broken-into `part` could send.
pub fn signing_as(part: &'static str) -> InternalAuth {
    InternalAuth::for_tests(part, test_signing_key(part), Vec::new(), test_trusted_keys())
}

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

/// A caller token for `audience`, signed by the part that may assert
/// `caller` ([`test_client_auth`]).
pub fn caller_token(audience: &str, caller: &Caller) -> String {
    test_client_auth().sign(audience, caller)
}

/// Host settings for `part` under test: 127.0.0.1, port 0 and a metrics
/// port 0, its test keys.
pub fn host_config(part: &str, database_url: &str) -> crate::config::HostConfig {
    crate::config::HostConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        metrics_bind: ([127, 0, 0, 1], 0).into(),
        database_url: database_url.to_string(),
        db_max_connections: 5,
        internal: test_internal_keys(part),
        max_body_bytes: 1024 * 1024,
        // Above the default: contention tests send hundreds of requests at
        // once to test what happens when they all reach the handlers (the
        // admission limit has tests of its own).
        max_concurrent_requests: 1024,
        request_timeout: std::time::Duration::from_secs(30),
        environment: crate::config::Environment::Development,
    }
}

/// A service running in the test's runtime; stopped when dropped.
pub struct Running {
    pub url: String,
    /// Its internal metrics listener (`…/metrics`).
    pub metrics_url: String,
    _stop: crate::shutdown::Trigger,
}

impl Running {
    /// Spawns a built application.
    pub fn spawn(app: crate::server::Application) -> Self {
        let url = format!("http://127.0.0.1:{}", app.port());
        let metrics_url = format!("http://127.0.0.1:{}", app.metrics_port());
        Self {
            url,
            metrics_url,
            _stop: app.spawn(),
        }
    }

    /// A client for this service, signing each caller as the part that may
    /// assert it ([`test_client_auth`]).
    pub fn client(&self, service: &'static str) -> crate::client::ServiceClient {
        crate::client::ServiceClient::new(service, &self.url, test_client_auth(), reqwest::Client::new())
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
