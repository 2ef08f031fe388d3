//! The `roundabout` command: the parts of the marketplace, how each is
//! served and migrated, and `up`, which runs them all together.

pub mod demo;
pub mod front;
pub mod graphql_client;
pub mod keys;
pub mod logs;
pub mod supervise;
pub mod up;

/// A part bound to its ports, ready to serve: awaiting it serves until
/// Ctrl-C or SIGTERM.
pub type Running = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

/// What `roundabout serve` runs: a part, the web front end (which has no
/// database: it is a client of the gateway), or all of them in one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Served {
    Inventory,
    Eligibility,
    Bookings,
    Payments,
    Gateway,
    Web,
    /// Every part and the web front end in this one process, each
    /// configured from `<PART>__<VAR>` before the shared environment (see
    /// [`serve_all`]).
    All,
}

impl Served {
    /// Each part and the web front end, in the order `serve all` binds them.
    pub const EACH: [Served; 6] = [
        Served::Inventory,
        Served::Eligibility,
        Served::Bookings,
        Served::Payments,
        Served::Gateway,
        Served::Web,
    ];

    pub fn part(self) -> Option<Part> {
        match self {
            Served::Inventory => Some(Part::Inventory),
            Served::Eligibility => Some(Part::Eligibility),
            Served::Bookings => Some(Part::Bookings),
            Served::Payments => Some(Part::Payments),
            Served::Gateway => Some(Part::Gateway),
            Served::Web | Served::All => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Served::Web => "web",
            Served::All => "roundabout",
            _ => self.part().map_or("web", Part::name),
        }
    }

    /// Serves until Ctrl-C or SIGTERM, configured from the environment.
    pub async fn serve(self) -> anyhow::Result<()> {
        match self {
            Served::All => serve_all().await,
            one => one.bind().await?.await,
        }
    }

    /// Configures from the environment and binds one part or the web front end.
    async fn bind(self) -> anyhow::Result<Running> {
        match (self.part(), self) {
            (Some(part), _) => part.bind().await,
            (None, Served::Web) => {
                let app = roundabout_web::build(roundabout_web::Config::from_env()?).await?;
                Ok(Box::pin(app.run()))
            }
            (None, _) => anyhow::bail!("serve all binds each part itself"),
        }
    }
}

/// `roundabout serve all`: every part and the web front end in one process.
///
/// Each is configured as its own process would be, from `<PART>__<VAR>`
/// (`BOOKINGS__PORT`, `BOOKINGS__DATABASE_URL`, `BOOKINGS__INTERNAL_SIGNING_KEY`,
/// `WEB__PORT`, …) read before the shared environment. Each keeps its own
/// port, database, pool, signing key and background jobs; only the calls
/// between them change: a call to a part this process serves goes straight
/// to its router (the in-process transport, `INTERNAL_TRANSPORT`), through
/// the same caller check. All are bound before any serves, so when the
/// gateway answers every part is listening. One part stopping with an
/// error stops the process (and `up` starts it again).
pub async fn serve_all() -> anyhow::Result<()> {
    use anyhow::Context;
    let mut bound = Vec::new();
    for one in Served::EACH {
        let vars = std::sync::Arc::new(roundabout_support::config::prefixed(one.name()));
        let running = roundabout_support::config::scoped(vars.clone(), one.bind())
            .await
            .with_context(|| format!("starting {}", one.name()))?;
        bound.push((one, vars, running));
    }
    let mut parts = tokio::task::JoinSet::new();
    for (one, vars, running) in bound {
        parts.spawn(roundabout_support::config::scoped(vars, async move {
            running.await.with_context(|| format!("{} stopped", one.name()))
        }));
    }
    // Dropping the set on an error stops the others.
    while let Some(done) = parts.join_next().await {
        done.context("a part panicked")??;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Part {
    Inventory,
    Eligibility,
    Bookings,
    Payments,
    Gateway,
}

impl Part {
    /// Every part, services first and the gateway last.
    pub const ALL: [Part; 5] = [
        Part::Inventory,
        Part::Eligibility,
        Part::Bookings,
        Part::Payments,
        Part::Gateway,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Part::Inventory => "inventory",
            Part::Eligibility => "eligibility",
            Part::Bookings => "bookings",
            Part::Payments => "payments",
            Part::Gateway => "gateway",
        }
    }

    /// The name of this part's database on a shared server:
    /// `<ROUNDABOUT_DB_PREFIX>_<part>`, the prefix defaulting to `roundabout`.
    pub fn database(self) -> String {
        let prefix = std::env::var("ROUNDABOUT_DB_PREFIX")
            .ok()
            .filter(|p| {
                !p.is_empty()
                    && p.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
            .unwrap_or_else(|| "roundabout".into());
        format!("{prefix}_{}", self.name())
    }

    /// Serves until Ctrl-C or SIGTERM, configured from the environment.
    pub async fn serve(self) -> anyhow::Result<()> {
        self.bind().await?.await
    }

    /// Configures from the environment and binds; the answer serves.
    pub async fn bind(self) -> anyhow::Result<Running> {
        let app = match self {
            Part::Inventory => roundabout_inventory::build(roundabout_inventory::Config::from_env()?).await?,
            Part::Eligibility => roundabout_eligibility::build(roundabout_eligibility::Config::from_env()?).await?,
            Part::Bookings => roundabout_bookings::build(roundabout_bookings::Config::from_env()?).await?,
            Part::Payments => roundabout_payments::build(roundabout_payments::Config::from_env()?).await?,
            Part::Gateway => roundabout_gateway::build(roundabout_gateway::Config::from_env()?).await?,
        };
        Ok(Box::pin(app.run()))
    }

    /// Applies pending migrations to the database at `url`.
    pub async fn migrate_url(self, url: &str) -> anyhow::Result<()> {
        roundabout_support::db::migrate(url, self.migrator()).await
    }

    /// Applies pending migrations to `DATABASE_URL`.
    pub async fn migrate(self) -> anyhow::Result<()> {
        let url = roundabout_support::config::database_url("DATABASE_URL")?;
        self.migrate_url(&url).await
    }

    pub fn migrator(self) -> &'static sqlx::migrate::Migrator {
        match self {
            Part::Inventory => &roundabout_inventory::MIGRATOR,
            Part::Eligibility => &roundabout_eligibility::MIGRATOR,
            Part::Bookings => &roundabout_bookings::MIGRATOR,
            Part::Payments => &roundabout_payments::MIGRATOR,
            Part::Gateway => &roundabout_gateway::MIGRATOR,
        }
    }
}
