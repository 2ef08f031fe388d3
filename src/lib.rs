//! The `roundabout` command: the parts of the marketplace, how each is
//! served and migrated, and `up`, which runs them all together.

pub mod demo;
pub mod front;
pub mod graphql_client;
pub mod keys;
pub mod logs;
pub mod supervise;
pub mod up;

/// What `roundabout serve` runs: a part, or the web front end (which has
/// no database: it is a client of the gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Served {
    Inventory,
    Eligibility,
    Bookings,
    Payments,
    Gateway,
    Web,
}

impl Served {
    pub fn part(self) -> Option<Part> {
        match self {
            Served::Inventory => Some(Part::Inventory),
            Served::Eligibility => Some(Part::Eligibility),
            Served::Bookings => Some(Part::Bookings),
            Served::Payments => Some(Part::Payments),
            Served::Gateway => Some(Part::Gateway),
            Served::Web => None,
        }
    }

    pub fn name(self) -> &'static str {
        self.part().map_or("web", Part::name)
    }

    /// Serves until Ctrl-C or SIGTERM, configured from the environment.
    pub async fn serve(self) -> anyhow::Result<()> {
        match self.part() {
            Some(part) => part.serve().await,
            None => {
                roundabout_web::build(roundabout_web::Config::from_env()?)
                    .await?
                    .run()
                    .await
            }
        }
    }
}

/// A deployable part of the marketplace.
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
        match self {
            Part::Inventory => {
                roundabout_inventory::build(roundabout_inventory::Config::from_env()?)
                    .await?
                    .run()
                    .await
            }
            Part::Eligibility => {
                roundabout_eligibility::build(roundabout_eligibility::Config::from_env()?)
                    .await?
                    .run()
                    .await
            }
            Part::Bookings => {
                roundabout_bookings::build(roundabout_bookings::Config::from_env()?)
                    .await?
                    .run()
                    .await
            }
            Part::Payments => {
                roundabout_payments::build(roundabout_payments::Config::from_env()?)
                    .await?
                    .run()
                    .await
            }
            Part::Gateway => {
                roundabout_gateway::build(roundabout_gateway::Config::from_env()?)
                    .await?
                    .run()
                    .await
            }
        }
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
