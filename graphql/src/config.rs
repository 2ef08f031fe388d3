//! The gateway's configuration, from the environment.

use roundabout_support::config::{self, ConfigError, Environment, HostConfig};

/// Limits on what one GraphQL request may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `GRAPHQL_MAX_DEPTH`: deepest field nesting.
    pub max_depth: usize,
    /// `GRAPHQL_MAX_COMPLEXITY`: summed field costs (lists cost per item asked).
    pub max_complexity: usize,
    /// `GRAPHQL_MAX_ALIASES`: aliased fields in one document.
    pub max_aliases: usize,
    /// `GRAPHQL_MAX_BATCH`: operations in one batched request.
    pub max_batch: usize,
    /// `GRAPHQL_MAX_BODY_BYTES`: request body size.
    pub max_body_bytes: usize,
    /// `GRAPHQL_MAX_NESTING`: deepest bracket nesting in the document's text
    /// (selection sets, argument lists, list and object literals) and in the
    /// variables, checked before parsing.
    pub max_nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 2_000,
            max_aliases: 30,
            max_batch: 10,
            max_body_bytes: 256 * 1024,
            max_nesting: 48,
        }
    }
}

/// Limits on abuse: request rates per client, sign-in throttling and the
/// cost of password hashing.
#[derive(Debug, Clone)]
pub struct AbuseLimits {
    /// `RATE_LIMIT_PER_SECOND`: sustained requests a second per client
    /// address on the public routes; 0 turns the limit off (load tests only).
    pub requests_per_second: u32,
    /// `RATE_LIMIT_BURST`: requests a client may make at once before the
    /// sustained rate applies.
    pub burst: u32,
    /// `TRUSTED_PROXIES`: comma-separated addresses or CIDR ranges (the web
    /// front end, the ingress) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `SIGN_IN_FREE_FAILURES`: wrong passwords in a row an account may get
    /// before sign-in to it is paused.
    pub sign_in_free_failures: u32,
    /// `SIGN_IN_BACKOFF_SECS`: the first pause; each further failure doubles it.
    pub sign_in_backoff_secs: u64,
    /// `SIGN_IN_MAX_BACKOFF_SECS`: the longest pause.
    pub sign_in_max_backoff_secs: u64,
    /// `PASSWORD_HASH_CONCURRENCY`: password hashes computed at once (each
    /// takes 19 MiB and a core for a few tens of milliseconds).
    pub password_hash_concurrency: usize,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        Self {
            requests_per_second: 20,
            burst: 100,
            trusted_proxies: vec![
                "127.0.0.0/8".parse().expect("a CIDR"),
                "::1/128".parse().expect("a CIDR"),
            ],
            sign_in_free_failures: 5,
            sign_in_backoff_secs: 30,
            sign_in_max_backoff_secs: 900,
            password_hash_concurrency: 4,
        }
    }
}

impl AbuseLimits {
    /// Reads the variables above, each defaulting as documented.
    pub fn from_env() -> Result<Self, ConfigError> {
        let d = Self::default();
        let trusted_proxies = match config::optional("TRUSTED_PROXIES")? {
            None => d.trusted_proxies,
            Some(raw) => parse_networks(&raw).map_err(|bad| {
                ConfigError::new(
                    "TRUSTED_PROXIES",
                    format!("{bad:?} is not an address or CIDR range (like 10.0.0.0/8)"),
                )
            })?,
        };
        let limits = Self {
            requests_per_second: config::parse_or("RATE_LIMIT_PER_SECOND", d.requests_per_second)?,
            burst: positive("RATE_LIMIT_BURST", d.burst as usize)? as u32,
            trusted_proxies,
            sign_in_free_failures: config::parse_or("SIGN_IN_FREE_FAILURES", d.sign_in_free_failures)?,
            sign_in_backoff_secs: config::parse_or("SIGN_IN_BACKOFF_SECS", d.sign_in_backoff_secs)?,
            sign_in_max_backoff_secs: config::parse_or("SIGN_IN_MAX_BACKOFF_SECS", d.sign_in_max_backoff_secs)?,
            password_hash_concurrency: positive("PASSWORD_HASH_CONCURRENCY", d.password_hash_concurrency)?,
        };
        if limits.sign_in_max_backoff_secs < limits.sign_in_backoff_secs {
            return Err(ConfigError::new(
                "SIGN_IN_MAX_BACKOFF_SECS",
                "must be at least SIGN_IN_BACKOFF_SECS",
            ));
        }
        Ok(limits)
    }
}

/// Addresses (`10.1.2.3`) and ranges (`10.0.0.0/8`), comma-separated; an
/// empty list trusts no proxy. The first entry that does not parse is the error.
pub fn parse_networks(raw: &str) -> Result<Vec<ipnet::IpNet>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<ipnet::IpNet>()
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| s.to_string())
        })
        .collect()
}

/// The first admin, created at start when both variables are set.
#[derive(Clone)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for BootstrapAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootstrapAdmin")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Where the services are.
#[derive(Debug, Clone)]
pub struct ServiceUrls {
    pub inventory: String,
    pub eligibility: String,
    pub bookings: String,
    pub payments: String,
}

#[derive(Clone)]
pub struct Config {
    pub host: HostConfig,
    pub environment: Environment,
    /// `TOKEN_SIGNING_KEY`: signs bearer tokens.
    pub token_key: Vec<u8>,
    /// `TOKEN_TTL_SECS`: how long a bearer token is valid.
    pub token_ttl_secs: i64,
    pub services: ServiceUrls,
    pub limits: Limits,
    pub abuse: AbuseLimits,
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// `PUBLIC_URL`: where users reach Roundabout (default `http://localhost:<PORT>`).
    pub public_url: String,
    /// How long records are kept (`RETENTION_*`).
    pub retention: roundabout_support::retention::Settings,
    /// Notifications: transports, reminders (`NOTIFY_*`, `SMTP_*`).
    pub notify: crate::notify::Settings,
    /// `GRAPHQL_INTROSPECTION`: whether `__schema` and `__type` may be asked
    /// (default: on in development, off in production, where an operator may
    /// turn it on for integrators' tools).
    pub introspection: bool,
    /// `GRAPHIQL_DIR`: GraphiQL's files for `/graphiql`, served in
    /// development only (`roundabout up` points it at `web/dist/graphiql`).
    pub graphiql_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.host.bind)
            .field("environment", &self.environment)
            .field("services", &self.services)
            .field("limits", &self.limits)
            .field("abuse", &self.abuse)
            .finish_non_exhaustive()
    }
}

/// Port used when `PORT` is unset.
pub const DEFAULT_PORT: u16 = 8080;

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let environment = Environment::from_env()?;
        let mut host = HostConfig::from_env(DEFAULT_PORT)?;
        let d = Limits::default();
        let limits = Limits {
            max_depth: positive("GRAPHQL_MAX_DEPTH", d.max_depth)?,
            max_complexity: positive("GRAPHQL_MAX_COMPLEXITY", d.max_complexity)?,
            max_aliases: config::parse_or("GRAPHQL_MAX_ALIASES", d.max_aliases)?,
            max_batch: positive("GRAPHQL_MAX_BATCH", d.max_batch)?,
            max_body_bytes: positive("GRAPHQL_MAX_BODY_BYTES", d.max_body_bytes)?,
            max_nesting: positive("GRAPHQL_MAX_NESTING", d.max_nesting)?,
        };
        if limits.max_nesting > 128 {
            // serde_json refuses variables nested deeper than 128 anyway.
            return Err(ConfigError::new("GRAPHQL_MAX_NESTING", "must be at most 128"));
        }
        host.max_body_bytes = limits.max_body_bytes;
        let public_url = match config::optional("PUBLIC_URL")? {
            Some(_) => config::base_url("PUBLIC_URL")?,
            None => format!("http://localhost:{}", host.bind.port()),
        };
        let token_key = match config::optional("TOKEN_SIGNING_KEY")? {
            Some(_) => config::secret_key("TOKEN_SIGNING_KEY")?,
            None if environment.is_production() => {
                return Err(ConfigError::new("TOKEN_SIGNING_KEY", "must be set in production"));
            }
            None => {
                tracing::warn!("TOKEN_SIGNING_KEY is unset: using a random key; tokens will not survive a restart");
                use rand::RngCore;
                let mut key = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                key
            }
        };
        let token_ttl_secs: i64 = config::parse_or("TOKEN_TTL_SECS", 12 * 3600)?;
        if !(60..=30 * 24 * 3600).contains(&token_ttl_secs) {
            return Err(ConfigError::new("TOKEN_TTL_SECS", "must be between 60 and 2592000"));
        }
        let bootstrap_admin = match (
            config::optional("BOOTSTRAP_ADMIN_EMAIL")?,
            config::optional("BOOTSTRAP_ADMIN_PASSWORD")?,
        ) {
            (Some(email), Some(password)) => {
                if crate::accounts::Email::parse(&email).is_err() {
                    return Err(ConfigError::new("BOOTSTRAP_ADMIN_EMAIL", "is not an email address"));
                }
                if crate::accounts::password::check_policy(&password).is_err() {
                    return Err(ConfigError::new(
                        "BOOTSTRAP_ADMIN_PASSWORD",
                        "must be at least 12 characters",
                    ));
                }
                Some(BootstrapAdmin { email, password })
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "BOOTSTRAP_ADMIN_PASSWORD",
                    "must be set with BOOTSTRAP_ADMIN_EMAIL",
                ))
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "BOOTSTRAP_ADMIN_EMAIL",
                    "must be set with BOOTSTRAP_ADMIN_PASSWORD",
                ))
            }
        };
        let notify = crate::notify::Settings::from_env(&environment, &public_url)?;
        let introspection = config::parse_or("GRAPHQL_INTROSPECTION", !environment.is_production())?;
        let graphiql_dir = config::optional("GRAPHIQL_DIR")?.map(std::path::PathBuf::from);
        Ok(Self {
            notify,
            introspection,
            graphiql_dir,
            host,
            environment,
            token_key,
            token_ttl_secs,
            services: ServiceUrls {
                inventory: config::base_url("INVENTORY_URL")?,
                eligibility: config::base_url("ELIGIBILITY_URL")?,
                bookings: config::base_url("BOOKINGS_URL")?,
                payments: config::base_url("PAYMENTS_URL")?,
            },
            limits,
            abuse: AbuseLimits::from_env()?,
            bootstrap_admin,
            public_url,
            retention: roundabout_support::retention::Settings::from_env()?,
        })
    }
}

fn positive(var: &str, default: usize) -> Result<usize, ConfigError> {
    let v = config::parse_or(var, default)?;
    if v == 0 {
        return Err(ConfigError::new(var, "must be at least 1"));
    }
    Ok(v)
}
