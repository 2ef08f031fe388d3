//! Configuration read from the environment (12-factor), validated at start.
//!
//! Every failure names the variable, so a misconfigured deployment says
//! exactly what to fix instead of failing later in some other way.

use std::{fmt::Display, str::FromStr};

/// A configuration variable that is missing or cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {var}: {reason}")]
pub struct ConfigError {
    /// The environment variable's name.
    pub var: String,
    /// Why its value cannot be used.
    pub reason: String,
}

impl ConfigError {
    pub fn new(var: &str, reason: impl Into<String>) -> Self {
        Self {
            var: var.to_string(),
            reason: reason.into(),
        }
    }
}

/// The deployment environment, from `ROUNDABOUT_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

impl Environment {
    pub fn from_env() -> Result<Self, ConfigError> {
        match optional("ROUNDABOUT_ENV")?.as_deref() {
            None | Some("development") | Some("dev") | Some("test") => Ok(Self::Development),
            Some("production") | Some("prod") => Ok(Self::Production),
            Some(other) => Err(ConfigError::new(
                "ROUNDABOUT_ENV",
                format!("expected development or production, got {other:?}"),
            )),
        }
    }

    pub fn is_production(self) -> bool {
        self == Self::Production
    }
}

/// A variable that may be unset; set but empty counts as unset.
///
/// When `VAR` is unset and `VAR_FILE` names a file, the file's content
/// (without its final line break) is the value: secrets mounted as files
/// (Kubernetes Secret volumes, Compose secrets) never sit in the
/// environment. A file that does not exist counts as unset, so an optional
/// secret volume may be absent.
pub fn optional(var: &str) -> Result<Option<String>, ConfigError> {
    // A part served beside others in one process reads its own first.
    if let Ok(Some(v)) = PART_ENV.try_with(|vars| vars.get(var).cloned()) {
        if !v.trim().is_empty() {
            return Ok(Some(v));
        }
    }
    match std::env::var(var) {
        Ok(v) if v.trim().is_empty() => from_file(var),
        Ok(v) => Ok(Some(v)),
        Err(std::env::VarError::NotPresent) => from_file(var),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::new(var, "not valid UTF-8")),
    }
}

tokio::task_local! {
    /// The variables of the part being configured, when several parts share
    /// one process ([`scoped`]).
    static PART_ENV: std::sync::Arc<std::collections::HashMap<String, String>>;
}

/// Runs `f` (a part's configuration, building and serving) with `vars`
/// read before the process's environment by [`optional`] and everything
/// built on it: `roundabout serve all` gives each part its own `PORT`,
/// `DATABASE_URL`, signing key and the like from `<PART>__<VAR>`.
pub async fn scoped<F: std::future::Future>(
    vars: std::sync::Arc<std::collections::HashMap<String, String>>,
    f: F,
) -> F::Output {
    PART_ENV.scope(vars, f).await
}

/// The process's variables named `<prefix>__<VAR>`, as `VAR` → value
/// (`BOOKINGS__PORT=7003` → `PORT=7003` for the bookings part).
pub fn prefixed(prefix: &str) -> std::collections::HashMap<String, String> {
    let lead = format!("{}__", prefix.to_ascii_uppercase());
    std::env::vars()
        .filter_map(|(k, v)| k.strip_prefix(&lead).map(|var| (var.to_string(), v)))
        .collect()
}

fn from_file(var: &str) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{var}_FILE");
    let Some(path) = std::env::var_os(&file_var).filter(|p| !p.is_empty()) else {
        return Ok(None);
    };
    let raw = match std::fs::read_to_string(&path) {
        Ok(raw) => raw,
        // An optional secret not mounted (for example no Stripe keys): unset.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(ConfigError::new(
                &file_var,
                format!("cannot read {}: {e}", path.to_string_lossy()),
            ))
        }
    };
    let value = raw.trim_end_matches(['\n', '\r']).to_string();
    Ok((!value.trim().is_empty()).then_some(value))
}

/// A variable that must be set.
pub fn required(var: &str) -> Result<String, ConfigError> {
    optional(var)?.ok_or_else(|| ConfigError::new(var, "must be set"))
}

/// A variable parsed into `T`, or `default` when unset.
pub fn parse_or<T>(var: &str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match optional(var)? {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|e| ConfigError::new(var, format!("cannot parse {raw:?}: {e}"))),
    }
}

/// A secret key given as at least 32 bytes of text (for example
/// `openssl rand -hex 32`).
pub fn secret_key(var: &str) -> Result<Vec<u8>, ConfigError> {
    let raw = required(var)?;
    if raw.len() < 32 {
        return Err(ConfigError::new(var, "must be at least 32 characters long"));
    }
    Ok(raw.into_bytes())
}

/// A base URL such as `http://127.0.0.1:7001`, without a trailing slash.
pub fn base_url(var: &str) -> Result<String, ConfigError> {
    let raw = required(var)?;
    let url = raw.trim_end_matches('/').to_string();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 10 {
        return Err(ConfigError::new(var, format!("expected an http(s) URL, got {raw:?}")));
    }
    Ok(url)
}

/// A PostgreSQL connection URL.
///
/// `DATABASE_SSLMODE` (`disable`, `allow`, `prefer`, `require`,
/// `verify-ca` or `verify-full`) and `DATABASE_SSLROOTCERT` (the CA's
/// certificate file), when set, replace the URL's `sslmode` and
/// `sslrootcert`: an operator can insist on TLS, and on checking the
/// server's certificate, whatever URL a secret holds (CloudNativePG's
/// `-app` secret holds one without them).
pub fn database_url(var: &str) -> Result<String, ConfigError> {
    let raw = required(var)?;
    if !(raw.starts_with("postgres://") || raw.starts_with("postgresql://")) {
        return Err(ConfigError::new(var, "expected a postgres:// URL"));
    }
    let mode = optional("DATABASE_SSLMODE")?;
    if let Some(m) = &mode {
        if !SSL_MODES.contains(&m.as_str()) {
            return Err(ConfigError::new(
                "DATABASE_SSLMODE",
                "must be one of disable, allow, prefer, require, verify-ca, verify-full",
            ));
        }
    }
    let root = optional("DATABASE_SSLROOTCERT")?;
    if let Some(r) = &root {
        if !std::path::Path::new(r).is_file() {
            return Err(ConfigError::new("DATABASE_SSLROOTCERT", "is not a readable file"));
        }
    }
    Ok(with_tls(&raw, mode.as_deref(), root.as_deref()))
}

/// PostgreSQL's `sslmode`s, weakest first.
pub const SSL_MODES: [&str; 6] = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];

/// `url` with its `sslmode` and `sslrootcert` replaced by those given.
pub fn with_tls(url: &str, mode: Option<&str>, root_cert: Option<&str>) -> String {
    if mode.is_none() && root_cert.is_none() {
        return url.to_string();
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split('=').next().unwrap_or_default();
            !(mode.is_some() && key == "sslmode" || root_cert.is_some() && key == "sslrootcert")
        })
        .map(str::to_string)
        .collect();
    if let Some(m) = mode {
        params.push(format!("sslmode={m}"));
    }
    if let Some(r) = root_cert {
        params.push(format!("sslrootcert={}", roundabout_api::url::encode(r)));
    }
    format!("{base}?{}", params.join("&"))
}

/// Common settings of every service's HTTP host. `Debug` hides the
/// database password and the private key.
#[derive(Clone)]
pub struct HostConfig {
    /// Address to bind; `PORT=0` picks a free port.
    pub bind: std::net::SocketAddr,
    /// Address of the internal listener serving `/metrics` (and nothing
    /// else): `HOST` and `METRICS_PORT`; port 0 picks a free port.
    pub metrics_bind: std::net::SocketAddr,
    /// PostgreSQL URL of this service's own database.
    pub database_url: String,
    /// Connections in the pool.
    pub db_max_connections: u32,
    /// This part's private key and the public keys it trusts for internal
    /// calls.
    pub internal: crate::internal_keys::InternalKeys,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Requests served at once; more are answered 503 with `Retry-After`.
    pub max_concurrent_requests: usize,
    /// How long a request may take before it is stopped and answered 503.
    pub request_timeout: std::time::Duration,
    pub environment: Environment,
}

impl std::fmt::Debug for HostConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfig")
            .field("bind", &self.bind)
            .field("metrics_bind", &self.metrics_bind)
            .field("database_url", &redact_url_password(&self.database_url))
            .field("db_max_connections", &self.db_max_connections)
            .field("internal", &self.internal)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_concurrent_requests", &self.max_concurrent_requests)
            .field("request_timeout", &self.request_timeout)
            .field("environment", &self.environment)
            .finish()
    }
}

/// A URL with the password of its user part replaced by `***`
/// (`postgres://app:***@db/x`); other URLs unchanged.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _password)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The metrics port of a part whose main port defaults to `default_port`:
/// 1000 above it (gateway 9080, services 8101–8104), or a free port when
/// `PORT` is 0.
pub fn default_metrics_port(default_port: u16, port: u16) -> u16 {
    if port == 0 {
        0
    } else {
        default_port.saturating_add(1000)
    }
}

impl HostConfig {
    /// Reads `HOST`, `PORT` (default `default_port`), `METRICS_PORT`
    /// (default [`default_metrics_port`]), `DATABASE_URL`,
    /// `DB_MAX_CONNECTIONS`, `INTERNAL_SIGNING_KEY`, `INTERNAL_TRUSTED_KEYS`,
    /// `MAX_BODY_BYTES`, `MAX_CONCURRENT_REQUESTS`, `REQUEST_TIMEOUT_MS`,
    /// `ROUNDABOUT_ENV`, and checks `INTERNAL_TRANSPORT`.
    pub fn from_env(default_port: u16) -> Result<Self, ConfigError> {
        let host: std::net::IpAddr = parse_or("HOST", std::net::IpAddr::from([127, 0, 0, 1]))?;
        let port: u16 = parse_or("PORT", default_port)?;
        let metrics_port: u16 = parse_or("METRICS_PORT", default_metrics_port(default_port, port))?;
        if metrics_port != 0 && metrics_port == port {
            return Err(ConfigError::new(
                "METRICS_PORT",
                "must differ from PORT: metrics are served on an internal port of their own",
            ));
        }
        // Refused here, at start, rather than read wrongly at the first call.
        crate::client::Transport::from_env()?;
        let db_max_connections = parse_or("DB_MAX_CONNECTIONS", 10u32)?;
        if db_max_connections == 0 {
            return Err(ConfigError::new("DB_MAX_CONNECTIONS", "must be at least 1"));
        }
        Ok(Self {
            bind: (host, port).into(),
            metrics_bind: (host, metrics_port).into(),
            database_url: database_url("DATABASE_URL")?,
            db_max_connections,
            internal: crate::internal_keys::InternalKeys::from_env()?,
            max_body_bytes: parse_or("MAX_BODY_BYTES", 1024 * 1024usize)?,
            max_concurrent_requests: max_concurrent_requests()?,
            request_timeout: request_timeout()?,
            environment: Environment::from_env()?,
        })
    }
}

/// Requests a part serves at once (`MAX_CONCURRENT_REQUESTS`, 1 to 100,000;
/// default 64). The default favours bursts of requests that mostly wait
/// (on another part, the database or Stripe); a part whose requests are
/// CPU-bound keeps its latency under overload with about twice its cores
/// (docs/PERFORMANCE.md, "Overload").
pub fn max_concurrent_requests() -> Result<usize, ConfigError> {
    let n = parse_or("MAX_CONCURRENT_REQUESTS", DEFAULT_MAX_CONCURRENT_REQUESTS)?;
    if !(1..=100_000).contains(&n) {
        return Err(ConfigError::new(
            "MAX_CONCURRENT_REQUESTS",
            "must be between 1 and 100000",
        ));
    }
    Ok(n)
}

/// The default of [`max_concurrent_requests`].
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 64;

/// How long one request may run (`REQUEST_TIMEOUT_MS`, 100 ms to 10 min;
/// default 30 s, above the 15 s an internal call may take).
pub fn request_timeout() -> Result<std::time::Duration, ConfigError> {
    let ms: u64 = parse_or("REQUEST_TIMEOUT_MS", 30_000)?;
    if !(100..=600_000).contains(&ms) {
        return Err(ConfigError::new("REQUEST_TIMEOUT_MS", "must be between 100 and 600000"));
    }
    Ok(std::time::Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_part_in_a_shared_process_reads_its_own_variables_first() {
        // nextest runs each test in a process of its own.
        std::env::set_var("PORT", "8080");
        std::env::set_var("BOOKINGS__PORT", "7003");
        std::env::set_var("BOOKINGS__DATABASE_URL", "postgres://db/bookings");
        std::env::set_var("SHARED_SETTING", "same");
        let vars = std::sync::Arc::new(super::prefixed("bookings"));
        assert_eq!(vars.len(), 2, "{vars:?}");
        let (port, shared, db) = super::scoped(vars, async {
            tokio::task::yield_now().await;
            (
                super::parse_or("PORT", 0u16).unwrap(),
                super::optional("SHARED_SETTING").unwrap(),
                super::required("DATABASE_URL").unwrap(),
            )
        })
        .await;
        assert_eq!(
            (port, shared.as_deref(), db.as_str()),
            (7003, Some("same"), "postgres://db/bookings")
        );
        assert_eq!(
            super::parse_or("PORT", 0u16).unwrap(),
            8080,
            "outside, the process's own"
        );
    }

    #[test]
    fn tls_settings_replace_the_url_s_own() {
        use super::with_tls;
        let url = "postgres://app@db:5432/x?sslmode=disable&application_name=a";
        assert_eq!(with_tls(url, None, None), url);
        assert_eq!(
            with_tls(url, Some("verify-full"), Some("/etc/ssl/cnpg/ca.crt")),
            "postgres://app@db:5432/x?application_name=a&sslmode=verify-full&sslrootcert=/etc/ssl/cnpg/ca.crt"
        );
        assert_eq!(
            with_tls("postgres://db/x", Some("require"), None),
            "postgres://db/x?sslmode=require"
        );
        assert_eq!(
            with_tls("postgres://db/x", None, Some("/a b")),
            "postgres://db/x?sslrootcert=/a%20b"
        );
    }

    #[test]
    fn database_passwords_are_redacted() {
        use super::redact_url_password as r;
        assert_eq!(
            r("postgres://app:s3cr@t@db:5432/x?sslmode=require"),
            "postgres://app:***@db:5432/x?sslmode=require"
        );
        assert_eq!(r("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(r("postgres://db/x"), "postgres://db/x");
        assert_eq!(r("not a url"), "not a url");
    }
    use super::*;

    #[test]
    fn error_names_the_variable() {
        let err = ConfigError::new("PORT", "cannot parse \"x\"");
        assert_eq!(err.to_string(), "invalid configuration: PORT: cannot parse \"x\"");
    }

    #[test]
    fn parse_or_reports_the_bad_variable() {
        // A name no other test or process uses.
        std::env::set_var("ROUNDABOUT_TEST_PARSE_OR", "not-a-number");
        let err = parse_or::<u16>("ROUNDABOUT_TEST_PARSE_OR", 1).unwrap_err();
        assert_eq!(err.var, "ROUNDABOUT_TEST_PARSE_OR");
        assert!(err.reason.contains("not-a-number"));
        std::env::remove_var("ROUNDABOUT_TEST_PARSE_OR");
        assert_eq!(parse_or::<u16>("ROUNDABOUT_TEST_PARSE_OR", 7).unwrap(), 7);
    }

    #[test]
    fn a_secret_may_come_from_a_file() {
        let dir = std::env::temp_dir().join(format!("roundabout-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("key");
        std::fs::write(&file, "0123456789abcdef0123456789abcdef\n").unwrap();
        std::env::set_var("ROUNDABOUT_TEST_FILE_KEY_FILE", &file);
        assert_eq!(
            secret_key("ROUNDABOUT_TEST_FILE_KEY").unwrap(),
            b"0123456789abcdef0123456789abcdef".to_vec()
        );
        // The variable itself wins over the file.
        std::env::set_var("ROUNDABOUT_TEST_FILE_KEY", "from the environment");
        assert_eq!(
            optional("ROUNDABOUT_TEST_FILE_KEY").unwrap().as_deref(),
            Some("from the environment")
        );
        // A missing file is an unset variable; a required one says so.
        std::env::set_var("ROUNDABOUT_TEST_MISSING_FILE_FILE", dir.join("absent"));
        assert_eq!(optional("ROUNDABOUT_TEST_MISSING_FILE").unwrap(), None);
        assert_eq!(
            required("ROUNDABOUT_TEST_MISSING_FILE").unwrap_err().var,
            "ROUNDABOUT_TEST_MISSING_FILE"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn the_metrics_port_is_its_own() {
        assert_eq!(default_metrics_port(8080, 8080), 9080);
        assert_eq!(default_metrics_port(7101, 9000), 8101);
        assert_eq!(default_metrics_port(7101, 0), 0);
    }

    #[test]
    fn short_secret_is_refused() {
        std::env::set_var("ROUNDABOUT_TEST_SHORT_KEY", "short");
        let err = secret_key("ROUNDABOUT_TEST_SHORT_KEY").unwrap_err();
        assert!(err.reason.contains("32"));
    }
}
