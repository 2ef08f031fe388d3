//! `roundabout`: run the whole marketplace locally, or one part of it.

/// mimalloc: faster than the system allocator for the many small JSON
/// values a request makes (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{path::PathBuf, process::ExitCode};

use clap::{Parser, Subcommand};
use roundabout::{keys, up, Part, Served};

#[derive(Parser)]
#[command(
    name = "roundabout",
    version,
    about = "Council-brokered mobility and car-leasing marketplace"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the whole marketplace: PostgreSQL (unless DATABASE_URL is set),
    /// the four services and the gateway.
    Up {
        /// Seed the West Oxfordshire demo (once; later runs keep it).
        #[arg(long)]
        demo: bool,
        /// Port of the public GraphQL gateway.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Port of the web front end.
        #[arg(long, default_value_t = roundabout_web::config::DEFAULT_PORT)]
        web_port: u16,
        /// Where the private PostgreSQL cluster and local secrets are kept.
        #[arg(long, default_value = ".roundabout")]
        data_dir: PathBuf,
        /// Copies of each service and of the gateway, each on its own port;
        /// callers balance across them and the gateways share `--port`
        /// through a round-robin front.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
        replicas: u16,
        /// Show every line the parts log (each request…), not only their
        /// warnings and errors; they are always in <data-dir>/logs/.
        #[arg(long, short)]
        verbose: bool,
        /// Run every part and the web front end in one process, calling
        /// one another in process instead of over loopback HTTP.
        #[arg(long, conflicts_with = "replicas")]
        one_process: bool,
    },
    /// Each part's state under the `up` using this data directory: ready,
    /// starting or restarting, its process and how often it was restarted.
    /// Exits 0 only when `up` is running and every part is ready.
    Status {
        /// The data directory `up` was given.
        #[arg(long, default_value = ".roundabout")]
        data_dir: PathBuf,
    },
    /// Serve one part or the web front end (for deployment): configuration from the environment.
    Serve {
        #[arg(value_enum)]
        part: Served,
    },
    /// Apply one part's pending migrations to its DATABASE_URL.
    Migrate {
        #[arg(value_enum)]
        part: Part,
    },
    /// Print the gateway's GraphQL schema (SDL).
    Schema,
    /// Generate Ed25519 key pairs for internal calls: each part's private
    /// key (`<PART>_SIGNING_KEY=…`, for that part's INTERNAL_SIGNING_KEY)
    /// and their public keys (INTERNAL_TRUSTED_KEYS, for every part).
    Keys {
        /// The parts to make keys for (default: all five).
        #[arg(value_enum)]
        parts: Vec<Part>,
    },
    /// Exit 0 if an HTTP GET of the URL answers 2xx within 3 s, else 1: the
    /// health check of a container image that has no shell or curl.
    Probe {
        /// Default: this machine's `/healthz` on `PORT` (8080 when unset).
        url: Option<String>,
    },
}

async fn probe(url: Option<String>) -> ExitCode {
    let url = url.unwrap_or_else(|| {
        let port = std::env::var("PORT").unwrap_or_else(|_| "8080".into());
        format!("http://127.0.0.1:{port}/healthz")
    });
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(3))
        .build();
    match client.map(|c| c.get(&url)) {
        Ok(req) => match req.send().await {
            Ok(res) if res.status().is_success() => ExitCode::SUCCESS,
            Ok(res) => {
                eprintln!("probe: {url} answered {}", res.status());
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("probe: {url}: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("probe: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Up {
                demo,
                port,
                web_port,
                data_dir,
                replicas,
                verbose,
                one_process,
            } => {
                up::run(up::Options {
                    demo,
                    port,
                    web_port,
                    data_dir,
                    replicas,
                    verbose,
                    one_process,
                })
                .await
            }
            Command::Status { data_dir } => roundabout::supervise::print_status(&data_dir),
            Command::Serve { part } => {
                let telemetry = roundabout_support::telemetry::init(part.name())?;
                // Under `up`: stop when `up` does, however it ends.
                roundabout::supervise::follow_supervisor()?;
                let served = part.serve().await;
                // The last spans leave before the process does.
                telemetry.shutdown().await;
                served.map(|()| ExitCode::SUCCESS)
            }
            Command::Migrate { part } => {
                let telemetry = roundabout_support::telemetry::init(part.name())?;
                let migrated = part.migrate().await;
                telemetry.shutdown().await;
                migrated.map(|()| ExitCode::SUCCESS)
            }
            Command::Schema => {
                print!("{}", roundabout_gateway::schema::sdl());
                Ok(ExitCode::SUCCESS)
            }
            Command::Keys { parts } => keys::print(&parts).map(|()| ExitCode::SUCCESS),
            Command::Probe { url } => Ok(probe(url).await),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("roundabout: {e:#}");
            ExitCode::FAILURE
        }
    }
}
